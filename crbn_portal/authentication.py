"""API authentication for lab systems: ``Authorization: Token <secret>`` (or ``Bearer <secret>``).

The browser keeps using its session. A token never goes through the login form, so the login lockout and the
one-time-code step apply where the token is made (the user's signed-in account page), not to each API call.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from . import tokens

KEYWORDS = (b"token", b"bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates as the token's user, narrowed to the token's institution (``request.auth`` is the token)."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: the session, or nobody
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Token <secret>'.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The token holds characters no token has.") from None
        user = tokens.token_authenticate(secret)
        if user is None:
            raise exceptions.AuthenticationFailed("The token is unknown or has been revoked.")
        return user, user.api_token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token to the OpenAPI schema (and the interactive docs' Authorize button)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
