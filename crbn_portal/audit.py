"""Recording audit events. Views call ``audit_record``; login and logout are recorded by signal."""

from datetime import timedelta
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest, QueryDict
from django.utils import timezone

from .models import AuditEvent

POLL_WINDOW = timedelta(minutes=10)


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    request: HttpRequest,
    action: str,
    obj: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    user: Any = None,
) -> AuditEvent:
    """Append one audit event for this request (the acting user defaults to the request's)."""
    user = user if user is not None else getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_uuid=getattr(obj, "uuid", None),
        object_version=getattr(obj, "version", None),
        path=request.path[:500],
        ip_address=client_ip(request),
        detail=detail or {},
    )


def audit_record_poll(*, request: HttpRequest, obj: Any, part: str) -> None:
    """A polled fragment (every second or two while work runs) is recorded once per user, object and part within
    POLL_WINDOW: the log keeps who watched what and when, without thousands of identical rows per upload."""
    recent = AuditEvent.objects.filter(
        user=request.user,
        action=AuditEvent.Action.VIEW,
        object_uuid=obj.uuid,
        detail__part=part,
        at__gte=timezone.now() - POLL_WINDOW,
    )
    if not recent.exists():
        audit_record(request=request, action=AuditEvent.Action.VIEW, obj=obj, detail={"part": part})


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(request=request, action=AuditEvent.Action.LOGIN, user=user)


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(request=request, action=AuditEvent.Action.LOGOUT, user=user)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is not None:
        # The password never reaches the log; Django already masks it in credentials.
        audit_record(
            request=request, action=AuditEvent.Action.LOGIN_FAILED, detail={"username": credentials.get("username", "")}
        )


WITHHELD_PARAMS = frozenset({"q"})  # a search term may be an MRN: only its presence is logged
MAX_LOGGED_PARAMS = 20  # a list's real filters are fewer; the rest of a flood of parameters is not worth a log row


def listed_filters(params: QueryDict) -> dict[str, str]:
    """The query a list was drawn with, as the audit log can keep it: a search term withheld, values cut to 100
    characters, NUL characters (which PostgreSQL's JSON refuses, and a caller may send) dropped."""
    return {
        _loggable(key): "(withheld)" if key in WITHHELD_PARAMS else _loggable(value)
        for key, value in list(params.items())[:MAX_LOGGED_PARAMS]
        if value
    }


def _loggable(text: str) -> str:
    return text.replace("\x00", "")[:100]
