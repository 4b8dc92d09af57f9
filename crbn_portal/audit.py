"""Recording audit events. Views call ``audit_record``; login and logout are recorded by signal."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AuditEvent


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
