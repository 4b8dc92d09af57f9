"""Writes of the tumour board: meetings, their agenda, packet exports and decisions.

Each service checks the role at the meeting's institution (views have already fetched the objects through the
chokepoint) and validates what it writes; audit events are recorded by the views, which know the request.
"""

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from patients.models import Drug, Institution, Patient, Sample, TreatmentLine
from rules.models import Assessment

from . import board_access
from .access import require
from .board_models import AgendaItem, Decision, Meeting, PacketExport, PacketStatus, packet_pdf_name
from .models import Report
from .pdf_files import store_pdf

logger = logging.getLogger(__name__)

RENDER_FAILED = "The packet could not be rendered. Export it again, or tell support if it fails again."


# ---- meetings ---------------------------------------------------------------------------------------------------


def meeting_create(*, institution: Institution, date: date, title: str, attendees: str, by: Any) -> Meeting:
    require(board_access.may_manage(by, institution.pk), "Only the institution's coordinators plan meetings.")
    meeting = Meeting(institution=institution, date=date, title=title.strip(), attendees=attendees, created_by=by)
    meeting.full_clean()
    meeting.save()
    return meeting


def meeting_update(*, meeting: Meeting, date: date, title: str, attendees: str, by: Any) -> Meeting:
    require(board_access.may_manage(by, meeting.institution_id), "Only the institution's coordinators edit meetings.")
    meeting.date, meeting.title, meeting.attendees = date, title.strip(), attendees
    meeting.full_clean()
    meeting.save(update_fields=["date", "title", "attendees", "updated_at"])
    return meeting


# ---- the agenda -------------------------------------------------------------------------------------------------


def agenda_add(*, meeting: Meeting, patient: Patient, question: str, by: Any) -> AgendaItem:
    """The patient at the end of the agenda, with their latest assessed sample and its current report version
    (the coordinator can choose others on the item)."""
    require(board_access.may_manage(by, meeting.institution_id), "Only the institution's coordinators edit agendas.")
    if patient.institution_id != meeting.institution_id:
        raise ValidationError("Only the institution's own patients can be put on its agenda.")
    sample = default_sample(patient)
    item = AgendaItem(
        meeting=meeting,
        patient=patient,
        sample=sample,
        report=default_report(sample),
        question=_required(question, "Write the question the board is asked about this patient."),
        created_by=by,
    )
    try:
        with transaction.atomic():
            last = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("position"))["last"] or 0
            item.position = last + 1
            item.save()
    except IntegrityError as error:
        raise ValidationError(f"{patient.study_id} is already on this meeting's agenda.") from error
    return item


def default_sample(patient: Patient) -> Sample | None:
    """The most recent sample with a completed assessment, else the most recent sample."""
    samples = Sample.objects.filter(patient=patient).order_by("-collection_date", "-id")
    assessed = samples.filter(pk__in=Assessment.objects.done().values("sample_id"))
    return assessed.first() or samples.first()


def default_report(sample: Sample | None) -> Report | None:
    """The version in force (signed), else the one being worked on."""
    if sample is None:
        return None
    versions = Report.objects.filter(sample=sample).current().order_by("-version")
    return versions.filter(status=Report.Status.SIGNED).first() or versions.first()


def agenda_item_update(
    *, item: AgendaItem, sample: Sample | None, report: Report | None, question: str, by: Any
) -> AgendaItem:
    require(board_access.may_manage(by, item.meeting.institution_id), "Only coordinators edit agenda items.")
    if sample is not None and sample.patient_id != item.patient_id:
        raise ValidationError("The sample must be one of this patient's.")
    if report is not None and (sample is None or report.sample_id != sample.pk):
        raise ValidationError("The report must be a version of the chosen sample's report.")
    item.sample, item.report = sample, report
    item.question = _required(question, "Write the question the board is asked about this patient.")
    item.save(update_fields=["sample", "report", "question", "updated_at"])
    return item


def agenda_move(*, item: AgendaItem, offset: int, by: Any) -> list[AgendaItem]:
    """Move an item up (-1) or down (+1) the agenda; positions are renumbered 1..n. Moving past either end
    leaves the order as it is."""
    require(board_access.may_manage(by, item.meeting.institution_id), "Only coordinators reorder the agenda.")
    with transaction.atomic():
        # Locked (where the database can) so two coordinators reordering at once do not interleave.
        items = list(
            AgendaItem.objects.select_for_update().filter(meeting_id=item.meeting_id).order_by("position", "id")
        )
        index = next(index for index, other in enumerate(items) if other.pk == item.pk)
        target = min(max(index + offset, 0), len(items) - 1)
        items.insert(target, items.pop(index))
        _renumber(items)
    return items


def agenda_remove(*, item: AgendaItem, by: Any) -> None:
    require(board_access.may_manage(by, item.meeting.institution_id), "Only coordinators edit the agenda.")
    if Decision.objects.filter(item=item).exists():
        raise ValidationError(f"The board's decision on {item.patient.study_id} is recorded: the item stays.")
    with transaction.atomic():
        item.delete()
        _renumber(list(AgendaItem.objects.filter(meeting_id=item.meeting_id).order_by("position", "id")))


def _renumber(items: list[AgendaItem]) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position
    AgendaItem.objects.bulk_update(items, ["position"])


def _required(text: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError(message)
    return text


# ---- the packet -------------------------------------------------------------------------------------------------


def packet_export(*, meeting: Meeting, by: Any) -> PacketExport:
    """A new export, queued for the render worker after the commit. Earlier exports are kept as they are."""
    require(board_access.may_export(by, meeting.institution_id), "Only the institution's coordinators export packets.")
    total = AgendaItem.objects.filter(meeting=meeting).count()
    if total == 0:
        raise ValidationError("The agenda is empty: add patients before exporting the packet.")
    export = PacketExport.objects.create(meeting=meeting, total=total, created_by=by)
    transaction.on_commit(lambda: _enqueue_render(export.pk))
    return export


def _enqueue_render(export_id: int) -> None:
    from .tasks import render_board_packet

    render_board_packet.delay(export_id)


def packet_render(*, export_id: int, task_id: str) -> None:
    """Build the packet and store it with its sha256. The worker claims the row first (queued, or rendering under
    its own task id after a redelivery), so a redelivered task renders at most once more, into the same file."""
    if not _claim(export_id, task_id):
        return
    from .board_packet import render_packet_pdf  # WeasyPrint is heavy: only the render worker loads it

    export = PacketExport.objects.select_related("meeting__institution", "created_by").get(pk=export_id)
    try:
        pdf = render_packet_pdf(export, on_patient=lambda done: _progress(export_id, task_id, done))
        name = store_pdf(export.pdf, packet_pdf_name(export), pdf)
    except Exception:
        logger.exception("Rendering tumour-board packet %s failed", export_id)
        _finish(export_id, task_id, status=PacketStatus.FAILED, error=RENDER_FAILED)
        return
    from .pdf import pdf_sha256

    _finish(export_id, task_id, status=PacketStatus.READY, pdf=name, pdf_sha256=pdf_sha256(pdf), error="")


def _claim(export_id: int, task_id: str) -> bool:
    claimable = Q(status=PacketStatus.QUEUED) | Q(status=PacketStatus.RENDERING, task_id=task_id)
    claimed = PacketExport.objects.filter(claimable, pk=export_id)
    return claimed.update(status=PacketStatus.RENDERING, task_id=task_id, started_at=timezone.now(), done=0) == 1


def _progress(export_id: int, task_id: str, done: int) -> None:
    PacketExport.objects.filter(pk=export_id, status=PacketStatus.RENDERING, task_id=task_id).update(done=done)


def _finish(export_id: int, task_id: str, **fields: Any) -> None:
    # Only the claimant finishes, and only once: the digest is set once.
    mine = PacketExport.objects.filter(pk=export_id, status=PacketStatus.RENDERING, task_id=task_id, pdf_sha256="")
    if mine.update(finished_at=timezone.now(), **fields) != 1:
        logger.warning("Packet %s: render %s finished after losing its claim; result dropped", export_id, task_id)


# ---- decisions --------------------------------------------------------------------------------------------------


def decision_record(
    *,
    item: AgendaItem,
    by: Any,
    regimen: str,
    recommended_drugs: Iterable[Drug],
    drugs_to_avoid: Iterable[Drug] = (),
    rationale: str,
    evidence: str = "",
    trial_referral: str = "",
    follow_up_date: date | None = None,
) -> Decision:
    """The board's decision on an agenda item, recorded (or corrected) by a clinician of the institution, who
    becomes its recorder. A line already linked to it stays linked."""
    require(
        board_access.may_decide(by, item.meeting.institution_id), "Only the institution's clinicians record decisions."
    )
    recommended, avoid = set(recommended_drugs), set(drugs_to_avoid)
    if not recommended:
        raise ValidationError("Choose the recommended regimen's drugs from the drug list.")
    if recommended & avoid:
        names = ", ".join(sorted(drug.name for drug in recommended & avoid))
        raise ValidationError(f"A drug cannot be both recommended and to avoid: {names}.")
    fields = {
        "regimen": _required(regimen, "Name the recommended regimen."),
        "rationale": _required(rationale, "Give the rationale: it is what the registry and the next clinician read."),
        "evidence": evidence.strip(),
        "trial_referral": trial_referral.strip(),
        "follow_up_date": follow_up_date,
        "recorded_by": by,
        "recorded_at": timezone.now(),
    }
    with transaction.atomic():
        decision, _ = Decision.objects.update_or_create(
            item=item, defaults=fields, create_defaults={**fields, "created_by": by}
        )
        decision.recommended_drugs.set(recommended)
        decision.drugs_to_avoid.set(avoid)
    return decision


def decision_link_line(*, decision: Decision, line: TreatmentLine | None, by: Any) -> Decision:
    """Link the treatment line that followed the decision (or unlink it with None): one of the patient's lines that
    started on or after the meeting."""
    item = decision.item
    require(board_access.may_decide(by, item.meeting.institution_id), "Only the institution's clinicians link lines.")
    if line is not None and line.patient_id != item.patient_id:
        raise ValidationError("The line must be one of this patient's.")
    if line is not None and line.start_date < item.meeting.date:
        raise ValidationError(f"Line {line.line_number} started before the meeting: it cannot have followed it.")
    decision.resulting_line = line
    decision.save(update_fields=["resulting_line", "updated_at"])
    return decision
