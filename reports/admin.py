"""Admin, read-only: a report changes only through the workflow (services check roles, revisions and the
second-reviewer rule, and the views audit every step). Signed reports could not be changed here anyway: the model,
its QuerySet and a database trigger refuse it. Staff see only what the chokepoint lets them see."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from crbn_portal.admin import ScopedAdmin

from .models import Report, ReportReview


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReportReviewInline(ReadOnlyMixin, admin.TabularInline):
    model = ReportReview
    extra = 0
    fields = ("round", "reviewer", "decision", "comment", "at")
    readonly_fields = fields


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
