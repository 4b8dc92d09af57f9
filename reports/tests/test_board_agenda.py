"""Meetings and their agenda: a coordinator plans a meeting, puts the institution's patients on it with the sample
and report version to discuss and the question, reorders it in the page and takes patients off it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crbn_portal.models import AuditEvent
from patients.tests.factories import PatientFactory, SampleFactory
from reports import board_services
from reports.board_models import AgendaItem, Meeting
from reports.tests.boarding import add, decide, meeting
from reports.tests.reporting import draft, sign, submit


def study_ids(board: Meeting) -> list[str]:
    return list(board.items.order_by("position").values_list("patient__study_id", flat=True))


def positions(board: Meeting) -> list[int]:
    return list(board.items.order_by("position").values_list("position", flat=True))


@pytest.fixture
def board(world):
    board = meeting(world)
    for accession in ("R-1", "R-2", "R-3"):
        add(world, board, accession)
    return board


def test_coordinator_plans_a_meeting_in_the_page(world, client):
    client.force_login(world.users["coordinator_a"])
    data = {"institution": world.inst_a.pk, "date": "2026-04-02", "title": "April board", "attendees": "Dr A\nDr B"}

    response = client.post(reverse("board:create"), data)

    board = Meeting.objects.get()
    assert response.url == reverse("board:meeting", args=[board.uuid])
    assert (board.institution, board.date, board.attendee_list) == (world.inst_a, date(2026, 4, 2), ["Dr A", "Dr B"])
    assert board.created_by == world.users["coordinator_a"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SCHEDULE, object_uuid=board.uuid).exists()


def test_a_meeting_without_a_title_is_refused_with_the_reason(world, client):
    client.force_login(world.users["coordinator_a"])

    response = client.post(reverse("board:create"), {"institution": world.inst_a.pk, "date": "2026-04-02"})

    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not Meeting.objects.exists()


def test_patients_join_the_agenda_in_order_with_their_latest_sample(world, board):
    assert study_ids(board) == ["ST-R-1", "ST-R-2", "ST-R-3"]
    assert positions(board) == [1, 2, 3]
    item = board.items.get(position=1)
    assert item.sample.accession == "R-1" and item.report is None


def test_the_signed_report_version_is_chosen_for_discussion(world):
    board = meeting(world)
    item = add(world, board, "R-9")
    lab, clinician = world.users["lab_scientist_a"], world.users["clinician_a"]
    report = sign(submit(draft(item.sample, lab), lab), clinician)
    patient = item.patient
    item.delete()

    again = board_services.agenda_add(meeting=board, patient=patient, question="Q?", by=world.users["coordinator_a"])

    assert again.report == report


def test_add_in_the_page_then_move_it_up_with_htmx(world, board, client):
    client.force_login(world.users["coordinator_a"])
    patient = PatientFactory(institution=world.inst_a, study_id="ST-NEW")
    client.post(reverse("board:agenda_add", args=[board.uuid]), {"patient": patient.uuid, "question": "Trial?"})
    item = AgendaItem.objects.get(patient=patient)

    response = client.post(reverse("board:move", args=[item.uuid]), {"offset": "-1"}, headers={"HX-Request": "true"})

    assert study_ids(board) == ["ST-R-1", "ST-R-2", "ST-NEW", "ST-R-3"]
    assert response.status_code == 200 and 'id="agenda"' in response.content.decode()
    assert response.content.decode().index("ST-NEW") < response.content.decode().index("ST-R-3")


def test_moves_renumber_and_stop_at_the_ends(world, board):
    first, _, third = board.items.order_by("position")
    by = world.users["coordinator_a"]

    board_services.agenda_move(item=third, offset=-1, by=by)
    board_services.agenda_move(item=first, offset=-1, by=by)
    board_services.agenda_move(item=first, offset=1, by=by)

    assert study_ids(board) == ["ST-R-3", "ST-R-1", "ST-R-2"]
    assert positions(board) == [1, 2, 3]


def test_a_move_without_script_returns_to_the_meeting(world, board, client):
    client.force_login(world.users["coordinator_a"])
    item = board.items.get(position=1)

    response = client.post(reverse("board:move", args=[item.uuid]), {"offset": "1"})

    assert response.url == reverse("board:meeting", args=[board.uuid])
    assert study_ids(board) == ["ST-R-2", "ST-R-1", "ST-R-3"]


def test_a_bad_move_is_a_message_not_an_error(world, board, client):
    client.force_login(world.users["coordinator_a"])
    item = board.items.get(position=1)

    response = client.post(reverse("board:move", args=[item.uuid]), {"offset": "7"}, follow=True)

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert study_ids(board) == ["ST-R-1", "ST-R-2", "ST-R-3"]


def test_a_patient_is_on_an_agenda_once(world, board):
    patient = board.items.get(position=1).patient

    with pytest.raises(ValidationError, match="already on this meeting's agenda"):
        board_services.agenda_add(meeting=board, patient=patient, question="Again?", by=world.users["coordinator_a"])


def test_another_institutions_patient_cannot_join(world, board, client):
    outsider = PatientFactory(institution=world.inst_b, study_id="ST-LCC")
    client.force_login(world.users["coordinator_a"])

    response = client.post(
        reverse("board:agenda_add", args=[board.uuid]), {"patient": outsider.uuid, "question": "?"}, follow=True
    )

    assert "Select a valid choice" in response.content.decode()
    with pytest.raises(ValidationError, match="institution's own patients"):
        board_services.agenda_add(meeting=board, patient=outsider, question="?", by=world.users["coordinator_a"])


def test_an_item_takes_only_its_patients_sample_and_that_samples_report(world, board):
    item, other = board.items.order_by("position")[:2]
    by = world.users["coordinator_a"]

    with pytest.raises(ValidationError, match="one of this patient's"):
        board_services.agenda_item_update(item=item, sample=other.sample, report=None, question="Q", by=by)
    later = SampleFactory(patient=item.patient, accession="R-1-later")
    updated = board_services.agenda_item_update(item=item, sample=later, report=None, question=" New? ", by=by)
    assert (updated.sample, updated.question) == (later, "New?")


def test_removing_renumbers_but_a_decided_item_stays(world, board):
    first, _, third = board.items.order_by("position")
    decide(world, third)

    board_services.agenda_remove(item=first, by=world.users["coordinator_a"])

    assert study_ids(board) == ["ST-R-2", "ST-R-3"] and positions(board) == [1, 2]
    with pytest.raises(ValidationError, match="decision on ST-R-3 is recorded"):
        board_services.agenda_remove(item=third, by=world.users["coordinator_a"])


def test_the_meeting_page_lists_the_agenda_for_a_clinician_without_editing(world, board, client):
    client.force_login(world.users["clinician_a"])

    page = client.get(reverse("board:meeting", args=[board.uuid])).content.decode()

    assert page.index("ST-R-1") < page.index("ST-R-2") < page.index("ST-R-3")
    assert "Record the decision" in page
    assert "Move up" not in page and "Add a patient" not in page and "Export a new packet" not in page
