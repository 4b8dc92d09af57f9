"""REST API for relapse reports: read, sign (the same service and rules as the page: the signer's password,
the current revision, the institution's second-reviewer rule) and the signed PDF (the page's verified download)."""

from uuid import UUID

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crbn_portal import lockout
from crbn_portal.api_base import VisibleReadOnlyViewSet, api_audit
from crbn_portal.models import AuditEvent

from . import board_access, board_selectors, report_selectors, report_views, services
from .board_models import AgendaItem, Decision, Meeting
from .models import Report, ReportStatus


class ReportOut(serializers.ModelSerializer):
    sample = serializers.UUIDField(source="sample.uuid", read_only=True)
    assessment = serializers.UUIDField(source="assessment.uuid", read_only=True)
    previous = serializers.UUIDField(source="previous.uuid", read_only=True, allow_null=True, default=None)
    author = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    signed_by = serializers.CharField(source="signed_by.username", read_only=True, allow_null=True, default=None)
    frozen_result = serializers.JSONField(read_only=True, allow_null=True, help_text="The assessment as signed.")
    input_checksums = serializers.JSONField(read_only=True, allow_null=True)

    class Meta:
        model = Report
        fields = [
            "uuid",
            "sample",
            "version",
            "status",
            "previous",
            "amendment_reason",
            "assessment",
            "revision",
            "round",
            "author",
            "submitted_at",
            "return_comment",
            "signed_at",
            "signed_by",
            "frozen_result",
            "engine_version",
            "kb_release",
            "input_checksums",
            "render_status",
            "render_error",
            "rendered_at",
            "pdf_sha256",
            "created_at",
            "updated_at",
        ]


class SignIn(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, help_text="The signer's password: a signature, not a click."
    )
    revision = serializers.IntegerField(
        min_value=1, help_text="The report's revision you reviewed; a report changed since is refused."
    )
    one_time_code = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=8,
        help_text="The code from your authenticator app, where your institution requires one.",
    )


class ReportFilter(django_filters.FilterSet):
    sample = django_filters.UUIDFilter(field_name="sample__uuid")
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)

    class Meta:
        model = Report
        fields = ["sample", "status"]


class ReportViewSet(VisibleReadOnlyViewSet):
    """Relapse reports, every version; signed ones are immutable and name what they froze."""

    queryset = Report.objects.select_related("sample", "assessment", "previous", "created_by", "signed_by").order_by(
        "-updated_at", "-id"
    )
    serializer_class = ReportOut
    filterset_class = ReportFilter

    def initial(self, request: Request, *args: object, **kwargs: object) -> None:
        super().initial(request, *args, **kwargs)
        report_selectors.require_reader(request.user)

    @extend_schema(
        request=SignIn,
        responses={200: ReportOut, 400: OpenApiResponse(description="Refused: wrong password, stale revision...")},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, uuid: UUID) -> Response:
        """Sign a report in review. The PDF is rendered afterwards; poll the report until ``render_status`` is
        ``ready``, then fetch ``pdf/``."""
        report = self.get_object()
        payload = SignIn(data=request.data)
        try:
            payload.is_valid(raise_exception=True)
            signed = _sign(request, report, **payload.validated_data)
        except PermissionDenied:
            api_audit(request, AuditEvent.Action.SIGN, obj=report, detail={"refused": "role"})
            raise
        except (ValidationError, serializers.ValidationError) as error:
            api_audit(request, AuditEvent.Action.SIGN, obj=report, detail={"refused": _messages(error)})
            raise
        api_audit(request, AuditEvent.Action.SIGN, obj=signed, detail=report_views._outcome(report, signed))
        return Response(self.get_serializer(signed).data)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (404, "application/json"): OpenApiResponse(description="No such report for you."),
            (409, "text/html"): OpenApiResponse(description="Not rendered yet, or the stored file failed its check."),
        }
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, uuid: UUID) -> HttpResponse:
        """The signed PDF, served only if its bytes still match the sha256 recorded when it was rendered."""
        return report_views.report_pdf(request._request, uuid)


# ---- tumour boards (read) ---------------------------------------------------------------------------------------


class DecisionOut(serializers.ModelSerializer):
    recommended_drugs = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    drugs_to_avoid = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    resulting_line = serializers.UUIDField(source="resulting_line.uuid", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Decision
        fields = [
            "uuid",
            "regimen",
            "recommended_drugs",
            "drugs_to_avoid",
            "rationale",
            "evidence",
            "trial_referral",
            "follow_up_date",
            "recorded_by",
            "recorded_at",
            "resulting_line",
        ]


class AgendaItemOut(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    study_id = serializers.CharField(source="patient.study_id", read_only=True)
    sample = serializers.UUIDField(source="sample.uuid", read_only=True, allow_null=True, default=None)
    report = serializers.UUIDField(source="report.uuid", read_only=True, allow_null=True, default=None)
    decision = DecisionOut(read_only=True, allow_null=True, default=None)

    class Meta:
        model = AgendaItem
        fields = ["uuid", "position", "patient", "study_id", "sample", "report", "question", "decision"]


class MeetingOut(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)
    attendees = serializers.ListField(source="attendee_list", child=serializers.CharField(), read_only=True)

    class Meta:
        model = Meeting
        fields = ["uuid", "institution", "date", "title", "attendees", "created_at", "updated_at"]


class MeetingDetailOut(MeetingOut):
    agenda = serializers.SerializerMethodField()

    class Meta(MeetingOut.Meta):
        fields = [*MeetingOut.Meta.fields, "agenda"]

    @extend_schema_field(AgendaItemOut(many=True))
    def get_agenda(self, meeting: Meeting) -> object:
        return AgendaItemOut(board_selectors.agenda(meeting), many=True).data


class MeetingFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["date_from", "date_to"]


class MeetingViewSet(VisibleReadOnlyViewSet):
    """Tumour-board meetings of the institutions where you take part in the board (coordinators, clinicians);
    a meeting's detail holds its ordered agenda and each decision recorded."""

    queryset = Meeting.objects.select_related("institution")
    filterset_class = MeetingFilter

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return MeetingDetailOut if self.action == "retrieve" else MeetingOut

    def get_queryset(self) -> QuerySet[Meeting]:
        meetings = super().get_queryset()
        user = self.request.user
        if self.action != "list" or user.is_superuser:
            return meetings
        return meetings.filter(
            institution__in=user.memberships.filter(role__in=board_access.READER_ROLES).values("institution")
        )

    def get_object(self) -> Meeting:
        """404 outside the institution (the chokepoint); 403 inside it for a role that is not on the board."""
        meeting = super().get_object()
        if not board_access.may_read(self.request.user, meeting.institution_id):
            api_audit(self.request, AuditEvent.Action.VIEW, obj=meeting, detail={"refused": "role"})
            raise PermissionDenied("Only the institution's coordinators and clinicians read its tumour boards.")
        return meeting


def _sign(request: Request, report: Report, **signature: object) -> Report:
    """As the page signs: refused while the account is locked out at this address, and a wrong password or code
    counts towards that lockout, so the API is no way around the limit on guessing."""
    if lockout.is_locked_out(request._request, request.user):
        raise ValidationError(lockout.LOCKED_OUT)
    try:
        return services.report_sign(report=report, by=request.user, **signature)  # type: ignore[arg-type]
    except lockout.FailedSecret:
        lockout.record_failed_password(request._request, request.user)
        raise


def _messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error.detail)]
