"""Admin pieces shared by every app: scoping through the chokepoint, provenance fields, the audit log, and every
admin change recorded as an audit event."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from .audit import audit_record
from .middleware import current_request
from .models import ApiToken, AuditEvent
from .tokens import token_revoke

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


class ReadOnlyMixin:
    """No add, change or delete in the admin: for records that change only through their own workflow (or never).
    Serves model admins and inlines alike (inlines pass the parent object to has_add_permission)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only: the audit log is append-only, so the admin can search it but never change it."""

    list_display = ("at", "username", "action", "object_type", "object_uuid", "ip_address")
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_uuid", "path")
    date_hierarchy = "at"


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only but for revocation: IT can see every lab system's token (never its secret) and revoke one."""

    list_display = ("name", "prefix", "user", "institution", "created_at", "last_used_at", "revoked_at")
    list_filter = ("institution", "revoked_at")
    search_fields = ("name", "prefix", "user__username")
    exclude = ("digest",)
    actions = ("revoke",)

    @admin.action(description="Revoke the selected tokens", permissions=["view"])
    def revoke(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(token=token)
            audit_record(request=request, action=AuditEvent.Action.TOKEN_REVOKE, obj=token)
        self.message_user(request, "The selected tokens are revoked; lab systems using them are refused from now on.")


ADMIN_CHANGE_KINDS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


@receiver(post_save, sender=LogEntry, dispatch_uid="crbn_portal.audit_admin_change")
def _audit_admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Each admin addition, change and deletion becomes an audit event, with the address it came from. A raw save
    (loading a fixture or a backup) replays an old entry rather than making a change, so it records nothing."""
    if not created or kwargs.get("raw"):
        return
    model = instance.content_type.model_class() if instance.content_type else None
    edited = model._default_manager.filter(pk=instance.object_id).first() if model else None
    detail = {
        "change": ADMIN_CHANGE_KINDS.get(instance.action_flag, str(instance.action_flag)),
        "model": model._meta.label if model else "",
        "object_id": instance.object_id,
        "object_repr": instance.object_repr,
        "message": instance.get_change_message(),
    }
    request = current_request() or HttpRequest()  # no request: a change made outside the web admin
    audit_record(request=request, action=AuditEvent.Action.ADMIN_CHANGE, obj=edited, detail=detail, user=instance.user)
