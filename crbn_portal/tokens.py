"""Per-user API tokens: creation (the secret is shown once), revocation, and the lookup the API's authentication
class makes. Only the secret's sha256 is stored, so a copy of the database gives nobody a working token."""

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ApiToken, TokenUser

SECRET_PREFIX = "crbn_"
PREFIX_LENGTH = len(SECRET_PREFIX) + 6  # enough to tell a user's tokens apart in a list, far too little to guess
# Recording every use would make each API call a write; once a minute tells "in use" from "forgotten".
LAST_USE_RESOLUTION = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """256 random bits, marked so that secret scanners and people recognise a leaked one."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def token_list(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("institution")


def token_create(*, user: Any, institution: Any, name: str) -> tuple[ApiToken, str]:
    """A token acting as ``user`` at ``institution``, which must be one of theirs. Returns the token and its
    secret; the secret is not stored and cannot be shown again."""
    if not user.memberships.filter(institution=institution).exists():
        raise PermissionDenied("A token can only act at an institution you belong to.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it, e.g. the lab system."})
    secret = new_secret()
    token = ApiToken(
        user=user,
        created_by=user,
        institution=institution,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        digest=secret_digest(secret),
    )
    token.full_clean()
    token.save()
    return token, secret


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Refuse the token from now on; it stays listed, with when it was revoked. Revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def token_authenticate(secret: str) -> TokenUser | None:
    """The user a presented secret acts as, narrowed to the token's institution; None for an unknown, revoked or
    inactive user's secret. The lookup is by digest, so no comparison leaks the secret's characters by timing."""
    token = (
        ApiToken.objects.filter(digest=secret_digest(secret), revoked_at__isnull=True, user__is_active=True)
        .select_related("institution")
        .first()
    )
    if token is None:
        return None
    user = TokenUser.objects.get(pk=token.user_id)
    # A superuser's token is still one institution's: without this, visible_to would let it see every centre.
    user.is_superuser = False
    user.api_token = token
    _record_use(token)
    return user


def _record_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_RESOLUTION:
        return
    # Conditional, so that concurrent requests with one token write once, not once each.
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USE_RESOLUTION)
    ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
