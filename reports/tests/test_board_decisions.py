"""The board's decision per patient, as structured data: regimen and drugs from the drug list, drugs to avoid,
rationale, evidence, trial referral, follow-up, who recorded it and when; shown on the patient page; linked to the
treatment line that followed it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crbn_portal.models import AuditEvent
from patients.models import Drug
from patients.tests.factories import TreatmentLineFactory
from reports import board_selectors, board_services
from reports.board_models import Decision
from reports.tests.boarding import MEETING_DATE, add, decide, meeting


@pytest.fixture
def item(world):
    return add(world, meeting(world), "R-1", question="Which next line?")


def names(drugs) -> list[str]:
    return sorted(drug.name for drug in drugs.all())


def test_a_clinician_records_the_decision_in_the_page(world, item, client):
    client.force_login(world.users["clinician_a"])
    data = {
        "regimen": "DaraPd",
        "recommended_drugs": ["daratumumab", "pomalidomide", "dexamethasone"],
        "drugs_to_avoid": ["lenalidomide"],
        "rationale": "Lenalidomide-refractory; CRBN intact.",
        "evidence": "Relapse report v1.",
        "trial_referral": "",
        "follow_up_date": "2026-06-01",
    }

    response = client.post(reverse("board:decision", args=[item.uuid]), data)

    decision = Decision.objects.get(item=item)
    assert response.url == reverse("board:meeting", args=[item.meeting.uuid])
    assert names(decision.recommended_drugs) == ["daratumumab", "dexamethasone", "pomalidomide"]
    assert names(decision.drugs_to_avoid) == ["lenalidomide"]
    assert (decision.regimen, decision.follow_up_date) == ("DaraPd", date(2026, 6, 1))
    assert decision.recorded_by == world.users["clinician_a"] and decision.recorded_at is not None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DECIDE, object_uuid=decision.uuid).exists()


def test_a_drug_outside_the_list_is_a_message(world, item, client):
    client.force_login(world.users["clinician_a"])
    data = {"regimen": "X", "recommended_drugs": ["snake oil"], "rationale": "Because."}

    response = client.post(reverse("board:decision", args=[item.uuid]), data, follow=True)

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Decision.objects.exists()


def test_a_drug_cannot_be_recommended_and_avoided(world, item):
    with pytest.raises(ValidationError, match="both recommended and to avoid: pomalidomide"):
        decide(world, item, drugs_to_avoid=Drug.objects.filter(name="pomalidomide"))


def test_a_decision_needs_its_rationale(world, item):
    with pytest.raises(ValidationError, match="Give the rationale"):
        decide(world, item, rationale="  ")


def test_a_correction_replaces_the_content_and_keeps_the_linked_line(world, item):
    line = TreatmentLineFactory(patient=item.patient, line_number=2, regimen="DaraPd", start_date=date(2026, 4, 1))
    first = decide(world, item)
    board_services.decision_link_line(decision=first, line=line, by=world.users["clinician_a"])

    corrected = decide(world, item, regimen="IsaPd", drugs_to_avoid=Drug.objects.none())

    assert corrected.pk == first.pk and Decision.objects.count() == 1
    assert (corrected.regimen, names(corrected.drugs_to_avoid), corrected.resulting_line) == ("IsaPd", [], line)


def test_the_first_line_after_the_meeting_is_suggested_and_linked(world, item, client):
    TreatmentLineFactory(patient=item.patient, line_number=2, regimen="Before", start_date=date(2025, 1, 1))
    after = TreatmentLineFactory(
        patient=item.patient, line_number=3, regimen="DaraPd", start_date=date(2026, 4, 1), best_response="VGPR"
    )
    decision = decide(world, item)
    client.force_login(world.users["clinician_a"])

    page = client.get(reverse("board:decision", args=[item.uuid])).content.decode()
    client.post(reverse("board:link_line", args=[item.uuid]), {"line": after.uuid})

    assert board_selectors.suggested_line(decision) == after
    assert f'value="{after.uuid}" selected' in page and "Before" not in page
    assert Decision.objects.get(pk=decision.pk).resulting_line == after
    assert list(after.board_decisions.all()) == [decision]


def test_a_line_that_started_before_the_meeting_cannot_follow_it(world, item):
    before = TreatmentLineFactory(patient=item.patient, line_number=2, start_date=MEETING_DATE.replace(day=1))
    decision = decide(world, item)

    with pytest.raises(ValidationError, match="started before the meeting"):
        board_services.decision_link_line(decision=decision, line=before, by=world.users["clinician_a"])


def test_linking_before_deciding_is_a_message(world, item, client):
    client.force_login(world.users["clinician_a"])

    response = client.post(reverse("board:link_line", args=[item.uuid]), {"line": ""}, follow=True)

    assert "Record the decision first." in response.content.decode()


def test_the_patient_page_shows_the_decision_and_the_line_that_followed(world, item, client):
    line = TreatmentLineFactory(
        patient=item.patient, line_number=2, regimen="DaraPd", start_date=date(2026, 4, 1), best_response="VGPR"
    )
    board_services.decision_link_line(decision=decide(world, item), line=line, by=world.users["clinician_a"])
    client.force_login(world.users["clinician_a"])

    page = client.get(reverse("patients:detail", args=[item.patient.uuid])).content.decode()

    panel = page[page.index("Tumour-board decisions") :]
    assert "Myeloma board" in panel and "DaraPd" in panel and "Lenalidomide-refractory at first relapse." in panel
    assert "Line 2: DaraPd" in panel and "VGPR" in panel


@pytest.mark.parametrize("persona", ["lab_scientist_a", "curator_a", "admin_a"])
def test_the_patient_page_has_no_board_panel_for_roles_outside_the_board(world, item, client, persona):
    decide(world, item)
    client.force_login(world.users[persona])

    page = client.get(reverse("patients:detail", args=[item.patient.uuid])).content.decode()

    assert "ST-R-1" in page and "Tumour-board decisions" not in page
