"""The audit log page (who sees which events, the filters, pages, the CSV export), admin changes recorded as
events, and the database's refusal to change or delete an event."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from crbn_portal.models import AuditEvent
from patients.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
AUDIT_URL = reverse("audit")
Action = AuditEvent.Action


def event(user=None, **fields) -> AuditEvent:
    username = user.get_username() if user else ""
    return AuditEvent.objects.create(user=user, username=username, **{"action": Action.VIEW, **fields})


def as_user(client: Client, user) -> Client:
    client.force_login(user)
    return client


def listed(response) -> list[str]:
    return [e.username for e in response.context["page"].object_list]


@pytest.fixture
def events(world):
    return {
        "a": event(world.users["clinician_a"], object_type="patients.Patient"),
        "b": event(world.users["clinician_b"], object_type="patients.Patient"),
        "anonymous": event(action=Action.LOGIN_FAILED, detail={"username": "nobody"}),
    }


# --- who sees what ----------------------------------------------------------------------------------------------


def test_an_institution_admin_sees_their_institutions_people_only(client, world, events):
    response = as_user(client, world.users["admin_a"]).get(AUDIT_URL, {"action": Action.VIEW})
    assert "clinician_a" in listed(response)
    assert "clinician_b" not in listed(response)
    assert "" not in listed(response)


def test_a_superuser_sees_every_event(client, world, events):
    response = as_user(client, world.users["superuser"]).get(AUDIT_URL, {"action": Action.LOGIN_FAILED})
    assert listed(response) == [""]
    assertContains(response, "anonymous")


@pytest.mark.parametrize("persona", ["clinician_a", "lab_scientist_a", "curator_a", "researcher_a"])
def test_other_roles_are_refused(client, world, persona):
    assert as_user(client, world.users[persona]).get(AUDIT_URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(AUDIT_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_opening_the_log_is_itself_recorded(client, world):
    as_user(client, world.users["admin_a"]).get(AUDIT_URL, {"username": "clin"})
    opened = AuditEvent.objects.get(action=Action.LIST)
    assert (opened.username, opened.detail) == ("admin_a", {"page": "audit", "query": {"username": "clin"}})


# --- filters and pages ------------------------------------------------------------------------------------------


def test_filters_by_user_action_object_and_dates(client, world, events):
    client = as_user(client, world.users["superuser"])
    event(world.users["clinician_a"], action=Action.SIGN, object_type="reports.Report")
    today = timezone.localdate()

    assert listed(client.get(AUDIT_URL, {"username": "clinician_b"})) == ["clinician_b"]
    assert listed(client.get(AUDIT_URL, {"action": Action.SIGN})) == ["clinician_a"]
    assert listed(client.get(AUDIT_URL, {"object_type": "report"})) == ["clinician_a"]
    assert len(listed(client.get(AUDIT_URL, {"username": "clinician", "since": today, "until": today}))) == 3
    assert listed(client.get(AUDIT_URL, {"username": "clinician", "since": today + timedelta(days=1)})) == []


def test_filters_by_object_id(client, world):
    patient_uuid = "0c7a8f3e-2f1d-4f7e-9a59-52b3f1a1d001"
    event(world.users["clinician_a"], object_type="patients.Patient", object_uuid=patient_uuid)
    event(world.users["clinician_a"], object_type="patients.Patient")
    response = as_user(client, world.users["superuser"]).get(AUDIT_URL, {"object_uuid": patient_uuid})
    assert [str(e.object_uuid) for e in response.context["page"].object_list] == [patient_uuid]


def test_bad_filter_input_is_explained_not_an_error(client, world, events):
    response = as_user(client, world.users["superuser"]).get(AUDIT_URL, {"since": "yesterday", "object_uuid": "x"})
    assert response.status_code == 200
    assertContains(response, "Enter a valid date.")
    assertContains(response, "Enter a valid UUID.")


def test_the_log_is_paginated_newest_first(client, world):
    for number in range(55):
        event(world.users["clinician_a"], detail={"n": number})
    client = as_user(client, world.users["superuser"])
    first, second = client.get(AUDIT_URL, {"action": Action.VIEW}), client.get(AUDIT_URL, {"action": "view", "page": 2})
    assert [e.detail["n"] for e in first.context["page"].object_list][:2] == [54, 53]
    assert len(second.context["page"].object_list) == 5
    assertContains(first, "page 1 of 2")
    assertContains(first, "page=2")


# --- CSV export -------------------------------------------------------------------------------------------------


def test_the_export_is_the_filtered_events_with_formula_cells_defused(client, world):
    sneaky = UserFactory(username="=HYPERLINK(evil)")
    event(sneaky, detail={"note": "+SUM(A1)"})
    event(world.users["clinician_a"], action=Action.SIGN)

    response = as_user(client, world.users["superuser"]).get(AUDIT_URL, {"action": "view", "export": "csv"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["at", "username", "action"]
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(evil)"]
    assert AuditEvent.objects.filter(action=Action.DOWNLOAD, detail__export="audit").count() == 1


# --- admin changes ----------------------------------------------------------------------------------------------


def test_a_change_in_the_admin_becomes_an_audit_event_with_its_address(client, world):
    as_user(client, world.users["superuser"]).post("/admin/auth/group/add/", {"name": "Pharmacists"})

    change = AuditEvent.objects.get(action=Action.ADMIN_CHANGE)
    assert (change.username, change.ip_address, change.path) == ("root", "127.0.0.1", "/admin/auth/group/add/")
    assert change.detail["change"] == "added"
    assert change.detail["model"] == "auth.Group"
    assert change.detail["object_repr"] == "Pharmacists"


def test_the_admin_shows_audit_events_read_only(client, world, events):
    client = as_user(client, world.users["superuser"])
    url = f"/admin/crbn_portal/auditevent/{events['a'].pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assertNotContains(page, 'name="_save"')
    assert client.post(url, {"username": "someone else"}).status_code == 403
    assert client.post(f"/admin/crbn_portal/auditevent/{events['a'].pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=events["a"].pk).username == "clinician_a"


# --- the database's guard ---------------------------------------------------------------------------------------


def test_the_database_refuses_to_change_an_event_even_with_raw_sql(events):
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE crbn_portal_auditevent SET username = 'x' WHERE id = %s", [events["a"].pk])
    assert AuditEvent.objects.get(pk=events["a"].pk).username == "clinician_a"


def test_the_database_refuses_to_delete_an_event_on_postgresql(events):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite (development) keeps DELETE open: its test flush empties tables with DELETE")
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM crbn_portal_auditevent WHERE id = %s", [events["a"].pk])
    assert AuditEvent.objects.filter(pk=events["a"].pk).exists()


def test_removing_a_user_keeps_their_events_under_their_name(world, events):
    world.users["clinician_b"].delete()
    kept = AuditEvent.objects.get(pk=events["b"].pk)
    assert (kept.user, kept.username) == (None, "clinician_b")


# --- status polling ---------------------------------------------------------------------------------------------


def test_a_polled_status_box_is_recorded_once_per_window(client, world, monkeypatch):
    from crbn_portal import audit
    from patients.tests.factories import PatientFactory, SampleFactory

    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a))
    url = reverse("variants:file_status", args=[sample.uuid])
    client = as_user(client, world.users["lab_scientist_a"])
    polls = AuditEvent.objects.filter(action=Action.VIEW, object_uuid=sample.uuid, detail__part="file status")

    for _ in range(3):
        client.get(url)
    assert polls.count() == 1

    monkeypatch.setattr(audit, "POLL_WINDOW", timedelta(0))
    client.get(url)
    assert polls.count() == 2


def test_the_menu_offers_the_log_to_admins_only(client, world):
    link = f'href="{AUDIT_URL}"'
    assertContains(as_user(client, world.users["admin_a"]).get(reverse("patients:list")), link)
    assertNotContains(as_user(Client(), world.users["clinician_a"]).get(reverse("patients:list")), link)
