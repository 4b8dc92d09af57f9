"""Tumour boards built through the services, as a coordinator and a clinician would build them."""

from datetime import date
from typing import Any

from patients.models import Drug
from patients.tests.factories import TreatmentLineFactory
from reports import board_services
from reports.board_models import AgendaItem, Meeting
from reports.tests.reporting import assessed_sample

MEETING_DATE = date(2026, 3, 10)


def meeting(world: Any, *, title: str = "Myeloma board", when: date = MEETING_DATE) -> Meeting:
    return board_services.meeting_create(
        institution=world.inst_a,
        date=when,
        title=title,
        attendees="Dr A. Haematologist\nDr B. Pathologist",
        by=world.users["coordinator_a"],
    )


def add(world: Any, board: Meeting, accession: str, question: str = "Next line after lenalidomide?") -> AgendaItem:
    """A patient with an assessed first-relapse sample (class E) and one line of lenalidomide, on the agenda."""
    sample = assessed_sample(world.inst_a, accession)
    TreatmentLineFactory(
        patient=sample.patient, line_number=1, regimen="Rd", start_date=date(2022, 1, 1), drugs=["lenalidomide"]
    )
    return board_services.agenda_add(
        meeting=board, patient=sample.patient, question=question, by=world.users["coordinator_a"]
    )


def decide(world: Any, item: AgendaItem, **changes: Any) -> Any:
    fields = {
        "regimen": "DaraPd",
        "recommended_drugs": Drug.objects.filter(name__in=["daratumumab", "pomalidomide", "dexamethasone"]),
        "drugs_to_avoid": Drug.objects.filter(name="lenalidomide"),
        "rationale": "Lenalidomide-refractory at first relapse.",
        **changes,
    }
    return board_services.decision_record(item=item, by=world.users["clinician_a"], **fields)
