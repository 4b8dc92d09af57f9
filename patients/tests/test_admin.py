"""The admin lists every model, and an institution's admin sees only their institution there too."""

import pytest

from patients.models import Patient
from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = ["institution", "membership", "drug", "patient", "treatmentline", "sample"]


@pytest.fixture
def institution_admin(world):
    user = world.users["admin_a"]
    user.is_staff = True
    user.save()
    return user


@pytest.mark.parametrize("model", CHANGELISTS)
def test_superuser_can_open_every_changelist(client, world, model):
    client.force_login(world.users["superuser"])
    assert client.get(f"/admin/patients/{model}/").status_code == 200


def test_audit_log_is_searchable_but_read_only_in_the_admin(client, world):
    client.force_login(world.users["superuser"])
    assert client.get("/admin/crbn_portal/auditevent/?q=clinician").status_code == 200
    assert client.get("/admin/crbn_portal/auditevent/add/").status_code == 403


def test_institution_admin_sees_only_their_institutions_patients(client, world, institution_admin):
    own = PatientFactory(institution=world.inst_a, study_id="OWN-1")
    other = PatientFactory(institution=world.inst_b, study_id="OTHER-1")
    client.force_login(institution_admin)
    listing = client.get("/admin/patients/patient/").content.decode()
    assert "OWN-1" in listing and "OTHER-1" not in listing
    assert client.get(f"/admin/patients/patient/{own.pk}/change/").status_code == 200
    # Django's admin answers a missing object with a redirect to its index and a message, not a page.
    assert client.get(f"/admin/patients/patient/{other.pk}/change/").status_code == 302


def test_institution_admin_sees_only_their_lines_and_samples(client, world, institution_admin):
    TreatmentLineFactory(patient__institution=world.inst_a, regimen="OWNREGIMEN")
    TreatmentLineFactory(patient__institution=world.inst_b, regimen="OTHERREGIMEN")
    SampleFactory(patient__institution=world.inst_a, accession="OWN-ACC")
    SampleFactory(patient__institution=world.inst_b, accession="OTHER-ACC")
    client.force_login(institution_admin)
    lines = client.get("/admin/patients/treatmentline/").content.decode()
    samples = client.get("/admin/patients/sample/").content.decode()
    assert "OWNREGIMEN" in lines and "OTHERREGIMEN" not in lines
    assert "OWN-ACC" in samples and "OTHER-ACC" not in samples


def test_admin_records_who_created_a_patient(client, world, institution_admin):
    client.force_login(world.users["superuser"])
    response = client.post(
        "/admin/patients/patient/add/",
        {
            "institution": world.inst_a.pk,
            "study_id": "NEW-1",
            "year_of_birth": 1960,
            "sex": "F",
            "diagnosis_date": "2020-01-02",
            "presentation": "medullary",
            "treatment_lines-TOTAL_FORMS": 0,
            "treatment_lines-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Patient.objects.get(study_id="NEW-1").created_by == world.users["superuser"]
