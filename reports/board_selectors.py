"""Reads of the tumour board. Meetings, agenda items, exports and decisions are fetched through the chokepoint
(``visible_to``): anyone outside the institution gets a 404. Inside it, a role that does not take part in the board
gets a 403, which the views check (board_access) so that they can record the refusal."""

from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crbn_portal.roles import Role
from patients.models import Institution, Patient, Sample, TreatmentLine

from . import board_access
from .board_models import AgendaItem, Decision, Meeting, PacketExport
from .models import Report


def may_read_any(user: Any) -> bool:
    return user.is_superuser or user.memberships.filter(role__in=board_access.READER_ROLES).exists()


def meeting_get(*, user: Any, uuid: UUID) -> Meeting:
    meeting = get_object_or_404(Meeting.objects.visible_to(user).select_related("institution"), uuid=uuid)
    return meeting


def item_get(*, user: Any, uuid: UUID) -> AgendaItem:
    visible = AgendaItem.objects.visible_to(user).select_related("meeting__institution", "patient", "sample", "report")
    item = get_object_or_404(visible, uuid=uuid)
    return item


def export_get(*, user: Any, uuid: UUID) -> PacketExport:
    visible = PacketExport.objects.visible_to(user).select_related("meeting__institution", "created_by")
    export = get_object_or_404(visible, uuid=uuid)
    return export


# ---- the meeting list and page ----------------------------------------------------------------------------------


def meeting_list_context(*, user: Any, today: date | None = None) -> dict[str, Any]:
    """Upcoming meetings (soonest first), then past ones (latest first), of the institutions where the user takes
    part in the board."""
    today = today or timezone.localdate()
    meetings = Meeting.objects.visible_to(user).select_related("institution")
    if not user.is_superuser:
        meetings = meetings.filter(
            institution__in=user.memberships.filter(role__in=board_access.READER_ROLES).values("institution")
        )
    return {
        "upcoming": meetings.filter(date__gte=today).order_by("date", "id"),
        "past": meetings.filter(date__lt=today).order_by("-date", "-id"),
        "may_create": manageable_institutions(user).exists(),
    }


def manageable_institutions(user: Any) -> QuerySet[Institution]:
    """Where the user may plan meetings: the institutions they coordinate."""
    if user.is_superuser:
        return Institution.objects.all()
    if not user.has_perm("reports.add_meeting"):
        return Institution.objects.none()
    return Institution.objects.filter(memberships__user=user, memberships__role=Role.COORDINATOR).distinct()


def agenda(meeting: Meeting) -> QuerySet[AgendaItem]:
    decisions = Decision.objects.select_related("recorded_by", "resulting_line").prefetch_related(
        "recommended_drugs", "drugs_to_avoid"
    )
    return (
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("patient", "sample", "report")
        .prefetch_related(Prefetch("decision", queryset=decisions))
        .order_by("position", "id")
    )


def meeting_page_context(*, meeting: Meeting, user: Any) -> dict[str, Any]:
    exports = PacketExport.objects.filter(meeting=meeting).select_related("created_by")
    return {
        "meeting": meeting,
        "items": agenda(meeting),
        "exports": exports,
        "may_manage": board_access.may_manage(user, meeting.institution_id),
        "may_export": board_access.may_export(user, meeting.institution_id),
        "may_decide": board_access.may_decide(user, meeting.institution_id),
    }


def agenda_patients(meeting: Meeting, user: Any) -> QuerySet[Patient]:
    """Patients the coordinator can add: the institution's own, not yet on this agenda."""
    listed = AgendaItem.objects.filter(meeting=meeting).values("patient_id")
    return (
        Patient.objects.visible_to(user)
        .filter(institution_id=meeting.institution_id)
        .exclude(pk__in=listed)
        .order_by("study_id")
    )


def patient_samples(patient: Patient) -> QuerySet[Sample]:
    return Sample.objects.filter(patient=patient).order_by("-collection_date", "-id")


def patient_reports(patient: Patient) -> QuerySet[Report]:
    return Report.objects.filter(sample__patient=patient).select_related("sample").order_by("sample_id", "-version")


# ---- decisions --------------------------------------------------------------------------------------------------


def lines_after_meeting(item: AgendaItem) -> QuerySet[TreatmentLine]:
    """The patient's lines that started on or after the meeting: the ones that can have followed its decision."""
    return TreatmentLine.objects.filter(patient=item.patient, start_date__gte=item.meeting.date).order_by(
        "start_date", "line_number"
    )


def suggested_line(decision: Decision) -> TreatmentLine | None:
    """The first line that started on or after the meeting, offered until one is linked."""
    if decision.resulting_line_id is not None:
        return decision.resulting_line
    return lines_after_meeting(decision.item).first()


def patient_decisions(*, user: Any, patient: Patient) -> QuerySet[Decision]:
    """The board's decisions on this patient, latest meeting first (the caller checks the user's board role)."""
    return (
        Decision.objects.visible_to(user)
        .filter(item__patient=patient)
        .select_related("item__meeting", "recorded_by", "resulting_line")
        .prefetch_related("recommended_drugs", "drugs_to_avoid")
        .order_by("-item__meeting__date", "-recorded_at")
    )


def decision_panel(user: Any, patient: Patient) -> tuple[str, dict[str, Any]] | None:
    """The patient page's panel (patients.panels): the board's decisions, for the board's members only."""
    if not board_access.may_read(user, patient.institution_id):
        return None
    return "reports/board/_patient_panel.html", {"decisions": patient_decisions(user=user, patient=patient)}
