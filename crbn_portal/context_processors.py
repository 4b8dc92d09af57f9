"""Template context every page needs."""

from typing import Any

from django.http import HttpRequest

from .permissions import memberships_of
from .roles import ROLE_PERMISSIONS, Role


def user_institutions(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's institutions for the header, fetched once with their names."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = memberships_of(user)
    institutions = {membership.institution.code: membership.institution for membership in memberships}
    # Menu entries are decided from the same rows (no permission queries of their own on every page).
    roles = {membership.role for membership in memberships}
    return {
        "user_institutions": list(institutions.values()),
        "reads_audit_log": user.is_superuser or Role.ADMIN in roles,
        "reads_boards": _any_role_holds(user, roles, "reports.view_meeting"),
        "reads_registry": _any_role_holds(user, roles, "cohort.view_registry"),
    }


def _any_role_holds(user: Any, roles: set[str], permission: str) -> bool:
    """Whether one of the user's roles grants the permission (role groups mirror ROLE_PERMISSIONS exactly)."""
    return user.is_superuser or any(permission in ROLE_PERMISSIONS[role] for role in roles)
