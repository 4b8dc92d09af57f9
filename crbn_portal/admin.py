"""Admin pieces shared by every app: scoping through the chokepoint, provenance fields, the audit log."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from .models import AuditEvent

PROVENANCE_FIELDS = ("uuid", "created_at", "updated_at", "created_by")


class ScopedAdmin(admin.ModelAdmin):
    """Staff see in the admin exactly what the chokepoint lets them see elsewhere; provenance is read-only."""

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).visible_to(request.user)  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*super().get_readonly_fields(request, obj), *PROVENANCE_FIELDS)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, so the admin can search it but never change it."""

    list_display = ("at", "username", "action", "object_type", "object_uuid", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_uuid", "path")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
