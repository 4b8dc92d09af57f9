"""The permission chokepoint: every patient-derived row is fetched through ``visible_to(user)``.

An object the user may not see does not exist for them: views answer 404, never a 403 that admits it.
"""

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from django.shortcuts import get_object_or_404

from .roles import PATIENT_DATA_ROLES

M = TypeVar("M", bound=models.Model)


def institutions_with_patient_access(user: Any) -> models.QuerySet:
    """Ids of the institutions whose patient data this user may read (a subquery, not a list)."""
    return user.memberships.filter(role__in=PATIENT_DATA_ROLES).values("institution")


class InstitutionScopedQuerySet(models.QuerySet):
    """A queryset that knows the lookup from its model to the owning institution.

    Subclasses set ``institution_path`` (e.g. ``"patient__institution"``).
    """

    institution_path = "institution"

    def visible_to(self, user: Any) -> "InstitutionScopedQuerySet":
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(**{f"{self.institution_path}__in": institutions_with_patient_access(user)})


def memberships_of(user: Any) -> list[Any]:
    """The user's memberships with their institutions, read once per user object (so once per request), as Django
    keeps a user's permissions: for what a page shows and the page cache's key. Decisions to act
    (``has_role_in``) read the database each time."""
    if not hasattr(user, "_crbn_memberships"):
        user._crbn_memberships = list(user.memberships.select_related("institution").order_by("institution__code"))
    return user._crbn_memberships


def access_key(user: Any) -> tuple[Any, ...]:
    """Everything the chokepoint decides from (``visible_to``, ``has_role_in``, who sees an MRN): two users with the
    same key are shown the same rows, so a page part built from these rules alone may be shared between them."""
    if not user.is_authenticated or not user.is_active:
        return ("anonymous",)
    memberships = sorted((membership.institution_id, membership.role) for membership in memberships_of(user))
    return ("superuser" if user.is_superuser else "member", tuple(memberships))


def get_visible_or_404(model: type[M], user: Any, **lookup: Any) -> M:
    """Fetch one object through the chokepoint; 404 whether it is missing or merely not the user's."""
    return get_object_or_404(model.objects.visible_to(user), **lookup)  # type: ignore[attr-defined]


def has_role_in(user: Any, institution_id: int, roles: Iterable[str]) -> bool:
    """Whether the user may act in this role at this institution. Model permissions come from role groups, which
    span institutions; an action on an institution's data also needs the role *there*."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.memberships.filter(institution_id=institution_id, role__in=list(roles)).exists()
