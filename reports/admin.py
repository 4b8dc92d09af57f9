"""Admin, read-only: a report changes only through the workflow (services check roles, revisions and the
second-reviewer rule, and the views audit every step). Signed reports could not be changed here anyway: the model,
its QuerySet and a database trigger refuse it. Staff see only what the chokepoint lets them see."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from crbn_portal.admin import ReadOnlyMixin, ScopedAdmin

from .models import AgendaItem, Decision, Meeting, PacketExport, Report, ReportReview


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    """Rows listed under their parent, every field shown read-only."""

    extra = 0

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields


class ReportReviewInline(ReadOnlyInline):
    model = ReportReview
    fields = ("round", "reviewer", "decision", "comment", "at")


@admin.register(Report)
class ReportAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("sample", "version", "status", "render_status", "signed_by", "signed_at", "updated_at")
    list_filter = ("status", "render_status")
    search_fields = ("sample__accession", "uuid")
    list_select_related = ("sample", "signed_by")
    inlines = [ReportReviewInline]


@admin.register(ReportReview)
class ReportReviewAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("report", "round", "reviewer", "decision", "at")
    list_filter = ("decision",)
    list_select_related = ("report__sample", "reviewer")


# Tumour boards, read-only here too: meetings, agendas and decisions change through the board's pages, which check
# the role at the institution and audit every change.
class AgendaItemInline(ReadOnlyInline):
    model = AgendaItem
    fields = ("position", "patient", "sample", "report", "question")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("title", "date", "institution", "created_by")
    list_filter = ("institution",)
    date_hierarchy = "date"
    inlines = [AgendaItemInline]


@admin.register(PacketExport)
class PacketExportAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("meeting", "status", "done", "total", "created_by", "created_at", "pdf_sha256")
    list_filter = ("status",)
    list_select_related = ("meeting", "created_by")


@admin.register(Decision)
class DecisionAdmin(ReadOnlyMixin, ScopedAdmin):
    list_display = ("item", "regimen", "recorded_by", "recorded_at", "resulting_line")
    list_select_related = ("item__patient", "recorded_by", "resulting_line")
