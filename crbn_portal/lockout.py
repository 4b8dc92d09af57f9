"""Lockout after repeated failed passwords (django-axes), for the login form and for the password that signs a
report: both prove the same secret, so both count towards the same limit."""

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest

LOCKED_OUT = (
    "Too many failed password attempts from this workstation: your account is locked here for a while. "
    "Try again later or ask your institution's admin."
)


class FailedSecret(ValidationError):
    """A wrong signing password or one-time code: the view that catches it counts it as a failed login."""


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username and address before any password is checked.

    Authentication without a request (management commands, the test client's login) has no address to count
    against and no form an attacker can reach, so it passes through to the next backend."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def _credentials(user: Any) -> dict[str, str]:
    return {"username": user.get_username()}


def is_locked_out(request: HttpRequest, user: Any) -> bool:
    return bool(AxesProxyHandler.is_locked(request, _credentials(user)))


def record_failed_password(request: HttpRequest, user: Any) -> None:
    """A wrong signing password is a failed login for the lockout count (and for the audit log)."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
