from datetime import date
from uuid import UUID

from cohort.deidentify import MAX_SHIFT_DAYS, date_shift_days, registry_id, shift

PATIENT = UUID("6f1c2a9e-4f4b-4a57-9a58-1f0e2b3c4d5e")
OTHER = UUID("0b7e3f3c-1d2e-4c5b-8a9f-0e1d2c3b4a59")


def test_registry_id_is_stable_and_depends_on_the_secret():
    assert registry_id("s1", PATIENT) == registry_id("s1", PATIENT)
    assert registry_id("s1", PATIENT) != registry_id("s2", PATIENT)
    assert registry_id("s1", PATIENT) != registry_id("s1", OTHER)
    assert registry_id("s1", PATIENT).startswith("CRBN-R") and len(registry_id("s1", PATIENT)) == 16


def test_date_shift_is_per_patient_non_zero_and_bounded():
    shifts = {date_shift_days(f"secret-{n}", PATIENT) for n in range(300)}
    assert 0 not in shifts
    assert all(-MAX_SHIFT_DAYS <= value <= MAX_SHIFT_DAYS for value in shifts)
    assert len(shifts) > 100  # spread out, not a handful of values
    assert date_shift_days("s1", PATIENT) == date_shift_days("s1", PATIENT)


def test_shifting_preserves_intervals():
    offset = date_shift_days("s1", PATIENT)
    start, end = date(2021, 3, 1), date(2022, 7, 15)
    assert (shift(end, offset) - shift(start, offset)).days == (end - start).days
    assert shift(start, offset) != start
    assert shift(None, offset) is None
