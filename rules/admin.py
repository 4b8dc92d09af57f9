"""Admin, read-only: releases change only through their pages (a draft is loaded again and validated; activation
shows the diff first); assessments, re-assessments and call changes are records."""

from django.contrib import admin
from django.http import HttpRequest

from crbn_portal.admin import ReadOnlyMixin

from .models import Assessment, CallChange, KnowledgeBaseRelease, ReassessmentRun, ReleaseStatus


@admin.register(KnowledgeBaseRelease)
class KnowledgeBaseReleaseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only: a draft's files change only by loading them again (validated, digest recomputed), never by hand.
    Only a draft that was never active may be deleted."""

    list_display = ("release_id", "status", "release_date", "loaded_by", "activated_at", "retired_at")
    list_filter = ("status",)
    search_fields = ("release_id",)

    def has_delete_permission(self, request: HttpRequest, obj: KnowledgeBaseRelease | None = None) -> bool:
        is_draft = obj is None or obj.status == ReleaseStatus.DRAFT
        return is_draft and request.user.has_perm("rules.delete_knowledgebaserelease")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("sample", "status", "kb_release", "bundled", "trigger", "qc_status", "created_at")
    list_filter = ("status", "trigger", "bundled", "kb_release")
    search_fields = ("sample__accession",)
    list_select_related = ("sample",)


@admin.register(ReassessmentRun)
class ReassessmentRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("release", "status", "done", "total", "started_at", "finished_at")
    list_select_related = ("release",)


@admin.register(CallChange)
class CallChangeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("sample", "drug", "old_call", "new_call", "entry", "run")
    list_filter = ("drug",)
    search_fields = ("sample__accession",)
    list_select_related = ("sample", "run__release")
