"""Template context every page needs."""

from typing import Any

from django.http import HttpRequest


def user_institutions(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's institutions for the header, fetched once with their names."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = user.memberships.select_related("institution").order_by("institution__code")
    institutions = {membership.institution.code: membership.institution for membership in memberships}
    return {"user_institutions": list(institutions.values())}
