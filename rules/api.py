"""REST API for assessments (read): each run of the engine on a sample, with its per-drug calls, the knowledge-base
release it used and the engine's full result with the trace of every rule that fired."""

import django_filters
from rest_framework import serializers

from crbn_portal.api_base import VisibleReadOnlyViewSet

from .models import Assessment, JobStatus, Trigger


class AssessmentOut(serializers.ModelSerializer):
    sample = serializers.UUIDField(source="sample.uuid", read_only=True)
    release = serializers.UUIDField(source="release.uuid", read_only=True, allow_null=True, default=None)
    calls = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="Drug -> call.")
    warnings = serializers.ListField(child=serializers.CharField(), read_only=True)
    result = serializers.JSONField(read_only=True, allow_null=True, help_text="The engine's document, as stored.")

    class Meta:
        model = Assessment
        fields = [
            "uuid",
            "sample",
            "status",
            "trigger",
            "release",
            "bundled",
            "kb_release",
            "kb_sha256",
            "engine_version",
            "qc_status",
            "calls",
            "warnings",
            "error",
            "input_checksum",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]


class AssessmentFilter(django_filters.FilterSet):
    sample = django_filters.UUIDFilter(field_name="sample__uuid")
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)

    class Meta:
        model = Assessment
        fields = ["sample", "status", "trigger"]


class AssessmentViewSet(VisibleReadOnlyViewSet):
    """Assessments, newest first; ``?sample=<uuid>&status=done`` gives a sample's completed ones."""

    queryset = Assessment.objects.select_related("sample", "release").newest_first()
    serializer_class = AssessmentOut
    filterset_class = AssessmentFilter
