"""The demo cohort's follow-up: deaths and last contact, consistent with the treatment history."""

import pytest

from patients import demo
from patients.models import Patient

pytestmark = pytest.mark.django_db


def _follow_up() -> list[tuple]:
    return list(Patient.objects.order_by("uuid").values_list("uuid", "last_follow_up_date", "date_of_death"))


def test_every_demo_patient_has_follow_up_and_some_have_died():
    demo.seed_demo(seed=11, patients_per_institution=40)
    patients = Patient.objects.prefetch_related("treatment_lines", "samples")
    deaths = [patient for patient in patients if patient.date_of_death]
    assert all(patient.last_follow_up_date for patient in patients)
    assert 0 < len(deaths) < len(patients)
    for patient in patients:
        events = [d for line in patient.treatment_lines.all() for d in (line.start_date, line.progression_date) if d]
        events += [sample.collection_date for sample in patient.samples.all()]
        assert patient.last_follow_up_date >= max(events)
        assert patient.last_follow_up_date <= demo.DATA_CUTOFF
        if patient.date_of_death:
            assert patient.date_of_death == patient.last_follow_up_date


def test_follow_up_is_deterministic_for_a_seed():
    demo.seed_demo(seed=11, patients_per_institution=15)
    first = _follow_up()
    demo.clear_demo_data()
    demo.seed_demo(seed=11, patients_per_institution=15)
    assert _follow_up() == first
