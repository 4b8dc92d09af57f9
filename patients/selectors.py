"""Reads of clinical records. Every query starts from the permission chokepoint."""

from typing import Any
from uuid import UUID

from crbn_portal.permissions import get_visible_or_404

from .models import Patient


def patient_get(*, user: Any, uuid: UUID) -> Patient:
    return get_visible_or_404(Patient, user, uuid=uuid)
