"""Cross-cutting models: the provenance base every record inherits, and the append-only audit log."""

import uuid

from django.conf import settings
from django.contrib.auth.models import User
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


class CountedJob(TrackedModel):
    """A long job whose state is a row a worker claims (DESIGN.md), counting the items it has done. Subclasses add
    their ``status`` field and name in ``complete_status`` the status of a job that went through."""

    status: str  # each subclass's own field, with its own choices
    complete_status = ""
    task_id = models.CharField(max_length=64, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        if self.status == self.complete_status:
            return 100
        return round(100 * self.done / self.total) if self.total else 0


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
        TOKEN_CREATE = "token_create", "Created an API token"
        TOKEN_REVOKE = "token_revoke", "Revoked an API token"
        CREATE = "create", "Created a record"
        CHANGE = "change", "Changed a record"
        SCHEDULE = "schedule", "Changed a tumour-board meeting or its agenda"
        EXPORT = "export", "Exported a tumour-board packet"
        DECIDE = "decide", "Recorded a tumour-board decision"
        ENROL = "enrol", "Enrolled a one-time-code device"
        ADMIN_CHANGE = "admin_change", "Changed a record in the admin"

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


class ApiToken(TrackedModel):
    """A lab system's credential, acting as its user at one institution. Only the secret's sha256 is stored: the
    secret is shown once, at creation, and cannot be recovered; a lost secret is revoked and replaced."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    institution = models.ForeignKey("patients.Institution", on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the lab system's name.")
    prefix = models.CharField(max_length=16, help_text="The secret's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="sha256 of the secret.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class TokenUser(User):
    """The user as seen through an API token: their memberships narrowed to the token's institution. Every
    permission question (``visible_to``, ``has_role_in``) reads ``user.memberships``, so narrowing it here
    restricts the whole request without a second code path."""

    api_token: ApiToken

    class Meta:
        proxy = True

    @property  # type: ignore[override]
    def memberships(self):  # type: ignore[no-untyped-def]
        return super().memberships.filter(institution_id=self.api_token.institution_id)
