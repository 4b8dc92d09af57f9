"""De-identification for the registry: a stable registry ID and a per-patient date shift. Pure Python.

Both derive from an HMAC-SHA256 of the patient's public UUID under the registry secret, so they are stable
across exports (a researcher can join two exports) yet cannot be reversed or recomputed without the secret.
Every date of one patient moves by the same number of days, so intervals (time to progression, survival) are
exact while calendar dates no longer match hospital records.
"""

import hashlib
import hmac
from datetime import date, timedelta
from uuid import UUID

MAX_SHIFT_DAYS = 182  # up to half a year either way: seasons and weekdays no longer identify an admission
REGISTRY_ID_PREFIX = "CRBN-R"


def _digest(secret: str, patient_uuid: UUID, purpose: str) -> bytes:
    message = f"{purpose}:{patient_uuid}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def registry_id(secret: str, patient_uuid: UUID) -> str:
    """E.g. ``CRBN-R3F9A2C71D0``: 40 bits, so collisions stay unlikely in registries of millions of patients."""
    return f"{REGISTRY_ID_PREFIX}{_digest(secret, patient_uuid, 'id')[:5].hex().upper()}"


def date_shift_days(secret: str, patient_uuid: UUID) -> int:
    """A non-zero offset in [-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS] (zero would leave the true dates in place)."""
    value = int.from_bytes(_digest(secret, patient_uuid, "shift")[:4], "big") % (2 * MAX_SHIFT_DAYS)
    offset = value - MAX_SHIFT_DAYS
    return offset if offset < 0 else offset + 1


def shift(day: date | None, offset_days: int) -> date | None:
    return day + timedelta(days=offset_days) if day is not None else None
