"""Cross-cutting models: the provenance base every record inherits, and the append-only audit log."""

import uuid

from django.conf import settings
from django.db import models


class TrackedModel(models.Model):
    """Provenance every record carries. The UUID is public (URLs, API); the integer id stays internal."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        abstract = True


class AuditImmutableError(Exception):
    """Raised when code tries to change or delete an audit row."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditImmutableError("Audit events are append-only.")

    def delete(self):  # type: ignore[no-untyped-def]
        raise AuditImmutableError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Rows are only ever added."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login_failed", "Login failed"
        LOGOUT = "logout", "Logged out"
        UPLOAD = "upload", "Uploaded"
        DOWNLOAD = "download", "Downloaded"
        CONFIRM = "confirm", "Confirmed"
        LOAD = "load", "Loaded a knowledge-base draft"
        ACTIVATE = "activate", "Activated a knowledge-base release"
        ASSESS = "assess", "Requested an assessment"
        DRAFT = "draft", "Drafted a report"
        SUBMIT = "submit", "Submitted a report for review"
        REVIEW = "review", "Reviewed a report"
        RETURN = "return", "Returned a report"
        SIGN = "sign", "Signed a report"
        AMEND = "amend", "Amended a signed report"
        RENDER = "render", "Rendered a report"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is removed.")
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    object_version = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or 'anonymous'} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise AuditImmutableError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditImmutableError("Audit events are append-only.")
