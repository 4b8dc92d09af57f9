"""The audit log records logins and patient reads, and no code path changes or deletes a row."""

import pytest

from crbn_portal.models import AuditEvent, AuditImmutableError
from patients.tests.factories import TEST_PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db


def test_login_and_failed_login_are_recorded_without_the_password(client, world):
    client.post("/accounts/login/", {"username": "clinician_a", "password": "wrong-password"})
    client.post("/accounts/login/", {"username": "clinician_a", "password": TEST_PASSWORD})
    failed, succeeded = AuditEvent.objects.order_by("id")
    assert (failed.action, failed.detail["username"], failed.user) == ("login_failed", "clinician_a", None)
    assert (succeeded.action, succeeded.username, succeeded.ip_address) == ("login", "clinician_a", "127.0.0.1")
    assert TEST_PASSWORD not in str(failed.detail) + str(succeeded.detail)


def test_reading_a_patient_page_is_recorded_with_the_patients_uuid(client, world):
    patient = PatientFactory(institution=world.inst_a)
    client.force_login(world.users["clinician_a"])
    client.get(f"/patients/{patient.uuid}/")
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.username, event.object_type, event.object_uuid) == ("clinician_a", "patients.Patient", patient.uuid)


def test_audit_rows_cannot_be_changed_or_deleted():
    event = AuditEvent.objects.create(action=AuditEvent.Action.LOGIN, username="someone")
    event.username = "someone else"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).username == "someone"
