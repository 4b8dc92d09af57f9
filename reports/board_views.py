"""The tumour-board pages. Views adapt: fetch through the chokepoint (404 outside the institution, 403 for a role
that does not take part in the board), parse the form, call one service, record the audit event (accepted or
refused), then render or redirect back to the meeting."""

import logging
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crbn_portal.audit import audit_record
from crbn_portal.decorators import htmx_login_required
from crbn_portal.models import AuditEvent

from . import board_access, board_forms, board_selectors, board_services
from .board_models import AgendaItem, Meeting, PacketExport
from .pdf_files import pdf_attachment, verified_pdf

logger = logging.getLogger(__name__)
Action = AuditEvent.Action
# The role each kind of change needs at the meeting's institution (the services check it again).
ROLE_OF_ACTION = {
    Action.SCHEDULE: board_access.may_manage,
    Action.EXPORT: board_access.may_export,
    Action.DECIDE: board_access.may_decide,
}


# ---- meetings ---------------------------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    if not board_selectors.may_read_any(request.user):
        audit_record(request=request, action=Action.LIST, detail={"page": "boards", "refused": "role"})
        return render(request, "reports/board/forbidden.html", status=403)
    context = board_selectors.meeting_list_context(user=request.user)
    audit_record(request=request, action=Action.LIST, detail={"page": "boards"})
    return render(request, "reports/board/meeting_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    institutions = board_selectors.manageable_institutions(request.user)
    if not institutions.exists():
        audit_record(request=request, action=Action.SCHEDULE, detail={"page": "new meeting", "refused": "role"})
        raise PermissionDenied("Only tumour-board coordinators plan meetings.")
    form = board_forms.MeetingCreateForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        meeting = board_services.meeting_create(by=request.user, **form.cleaned_data)
        audit_record(request=request, action=Action.SCHEDULE, obj=meeting, detail={"created": meeting.title})
        messages.success(request, "Meeting planned. Add the patients to its agenda.")
        return redirect("board:meeting", uuid=meeting.uuid)
    audit_record(
        request=request, action=Action.VIEW, detail={"page": "new meeting", "errors": form.errors.get_json_data()}
    )
    return render(request, "reports/board/meeting_form.html", {"form": form})


@login_required
@require_GET
def meeting_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    meeting = _meeting(request, uuid)
    context = board_selectors.meeting_page_context(meeting=meeting, user=request.user)
    if context["may_manage"]:
        patients = board_selectors.agenda_patients(meeting, request.user)
        context["add_form"] = board_forms.AgendaAddForm(patients=patients)
    audit_record(request=request, action=Action.VIEW, obj=meeting)
    return render(request, "reports/board/meeting_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, uuid: UUID) -> HttpResponse:
    meeting = _meeting(request, uuid)
    form = board_forms.MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST":
        # The form writes its values into its instance as it validates; the service changes a fresh copy.
        fresh = Meeting.objects.get(pk=meeting.pk)

        def run(data: dict[str, Any]) -> Model:
            return board_services.meeting_update(meeting=fresh, by=request.user, **data)

        return _act(request, fresh, Action.SCHEDULE, form, run, "The meeting is updated.")
    _require(request, meeting, Action.VIEW, board_access.may_manage(request.user, meeting.institution_id))
    audit_record(request=request, action=Action.VIEW, obj=meeting, detail={"page": "edit"})
    return render(request, "reports/board/meeting_form.html", {"form": form, "meeting": meeting})


# ---- the agenda -------------------------------------------------------------------------------------------------


@login_required
@require_POST
def agenda_add(request: HttpRequest, uuid: UUID) -> HttpResponse:
    meeting = _meeting(request, uuid)
    form = board_forms.AgendaAddForm(request.POST, patients=board_selectors.agenda_patients(meeting, request.user))

    def run(data: dict[str, Any]) -> Model:
        return board_services.agenda_add(meeting=meeting, by=request.user, **data)

    return _act(request, meeting, Action.SCHEDULE, form, run, "Added to the agenda.")


@login_required
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, uuid: UUID) -> HttpResponse:
    item = _item(request, uuid)
    form = board_forms.AgendaItemForm(
        request.POST or None,
        item=item,
        samples=board_selectors.patient_samples(item.patient),
        reports=board_selectors.patient_reports(item.patient),
    )
    if request.method == "POST":

        def run(data: dict[str, Any]) -> Model:
            return board_services.agenda_item_update(item=item, by=request.user, **data)

        return _act(request, item, Action.SCHEDULE, form, run, "The agenda item is updated.")
    _require(request, item, Action.VIEW, board_access.may_manage(request.user, item.meeting.institution_id))
    audit_record(request=request, action=Action.VIEW, obj=item, detail={"page": "edit"})
    return render(request, "reports/board/item_form.html", {"form": form, "item": item, "meeting": item.meeting})


@login_required
@require_POST
def agenda_move(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Up or down one place. From the page's script (htmx) the answer is the agenda itself, so the list is swapped
    in place; without it, the meeting page again."""
    item = _item(request, uuid)
    form = board_forms.MoveForm(request.POST)

    def run(data: dict[str, Any]) -> Model:
        board_services.agenda_move(item=item, by=request.user, offset=data["offset"])
        return item

    response = _act(request, item, Action.SCHEDULE, form, run, "")
    if not request.htmx:
        return response
    context = board_selectors.meeting_page_context(meeting=item.meeting, user=request.user)
    return render(request, "reports/board/_agenda.html", context)


@login_required
@require_POST
def agenda_remove(request: HttpRequest, uuid: UUID) -> HttpResponse:
    item = _item(request, uuid)

    def run(data: dict[str, Any]) -> Model:
        board_services.agenda_remove(item=item, by=request.user)
        return item

    return _act(request, item, Action.SCHEDULE, None, run, f"{item.patient.study_id} is off the agenda.")


# ---- the packet -------------------------------------------------------------------------------------------------


@login_required
@require_POST
def packet_export(request: HttpRequest, uuid: UUID) -> HttpResponse:
    meeting = _meeting(request, uuid)

    def run(data: dict[str, Any]) -> Model:
        return board_services.packet_export(meeting=meeting, by=request.user)

    return _act(request, meeting, Action.EXPORT, None, run, "The packet is being rendered; the bar shows its progress.")


@htmx_login_required
@require_GET
def export_status(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The polled partial; the answer that finds the render finished carries no trigger, so polling stops."""
    export = _export(request, uuid)
    audit_record(request=request, action=Action.VIEW, obj=export, detail={"part": "packet status"})
    return render(request, "reports/board/_export.html", {"export": export})


@login_required
@require_GET
def export_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The packet, served only if the stored bytes still hash to the digest recorded when it was rendered."""
    export = _export(request, uuid)
    data = _verified_packet(export)
    if data is None:
        message = "The packet is not ready, or its stored file no longer matches its sha256: export it again."
        audit_record(request=request, action=Action.DOWNLOAD, obj=export, detail={"refused": message})
        return render(request, "reports/board/export_refused.html", {"export": export, "message": message}, status=409)
    audit_record(request=request, action=Action.DOWNLOAD, obj=export, detail={"sha256": export.pdf_sha256})
    filename = f"tumour-board-{export.meeting.date:%Y-%m-%d}-{str(export.uuid)[:8]}.pdf"
    return pdf_attachment(data, filename)


def _verified_packet(export: PacketExport) -> bytes | None:
    if export.status != PacketExport.Status.READY:
        return None
    data = verified_pdf(export.pdf, export.pdf_sha256)
    if data is None:
        logger.error("Packet %s: the stored PDF is missing or does not match its sha256", export.uuid)
    return data


# ---- decisions --------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def decision_record(request: HttpRequest, uuid: UUID) -> HttpResponse:
    item = _item(request, uuid)
    decision = getattr(item, "decision", None)
    form = board_forms.DecisionForm(request.POST or None, initial=_decision_initial(decision))
    if request.method == "POST":

        def run(data: dict[str, Any]) -> Model:
            return board_services.decision_record(item=item, by=request.user, **data)

        return _act(request, item, Action.DECIDE, form, run, "The decision is recorded.")
    allowed = board_access.may_decide(request.user, item.meeting.institution_id)
    _require(request, item, Action.VIEW, allowed)
    context = {"form": form, "item": item, "meeting": item.meeting, "decision": decision}
    if decision is not None:
        suggested = board_selectors.suggested_line(decision)
        lines = board_selectors.lines_after_meeting(item)
        context["line_form"] = board_forms.LinkLineForm(lines=lines, suggested=suggested)
        context["suggested"] = suggested
    audit_record(request=request, action=Action.VIEW, obj=item, detail={"page": "decision"})
    return render(request, "reports/board/decision_form.html", context)


def _decision_initial(decision: Any) -> dict[str, Any]:
    if decision is None:
        return {}
    fields = ("regimen", "rationale", "evidence", "trial_referral", "follow_up_date")
    initial = {name: getattr(decision, name) for name in fields}
    initial["recommended_drugs"] = [drug.name for drug in decision.recommended_drugs.all()]
    initial["drugs_to_avoid"] = [drug.name for drug in decision.drugs_to_avoid.all()]
    return initial


@login_required
@require_POST
def decision_link_line(request: HttpRequest, uuid: UUID) -> HttpResponse:
    item = _item(request, uuid)
    decision = getattr(item, "decision", None)
    form = board_forms.LinkLineForm(request.POST, lines=board_selectors.lines_after_meeting(item), suggested=None)

    def run(data: dict[str, Any]) -> Model:
        if decision is None:
            raise ValidationError("Record the decision first.")
        return board_services.decision_link_line(decision=decision, line=data["line"], by=request.user)

    return _act(request, item, Action.DECIDE, form, run, "The treatment line that followed is linked.")


# ---- shared -----------------------------------------------------------------------------------------------------


def _act(request: HttpRequest, obj: Model, action: str, form: Any, run: Any, success: str) -> HttpResponse:
    """One change: check the role (a 403 before the form is read), validate the form, call the service, audit
    every outcome, and go back to the meeting's page, where a refusal shows as a message."""
    _require(request, obj, action, ROLE_OF_ACTION[action](request.user, _meeting_of(obj).institution_id))
    try:
        if form is not None and not form.is_valid():
            raise ValidationError([f"{_label(form, name)}: {' '.join(errors)}" for name, errors in form.errors.items()])
        result = run(form.cleaned_data if form is not None else {})
    except PermissionDenied:
        audit_record(request=request, action=action, obj=obj, detail={"refused": "role"})
        raise
    except ValidationError as error:
        audit_record(request=request, action=action, obj=obj, detail={"refused": error.messages})
        for message in error.messages:
            messages.error(request, message)
        return redirect(_back(obj))
    audit_record(request=request, action=action, obj=result, detail={"on": str(obj.uuid)})  # type: ignore[attr-defined]
    if success:
        messages.success(request, success)
    return redirect(_back(obj))


def _label(form: Any, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label or name.replace("_", " ").capitalize()) if field else "Form"


def _meeting_of(obj: Model) -> Meeting:
    return obj if isinstance(obj, Meeting) else obj.meeting  # type: ignore[attr-defined]


def _back(obj: Model) -> str:
    """The meeting's page: where every change to a meeting, its agenda, its packets or its decisions is seen."""
    return reverse("board:meeting", kwargs={"uuid": _meeting_of(obj).uuid})


def _meeting(request: HttpRequest, uuid: UUID) -> Meeting:
    meeting = board_selectors.meeting_get(user=request.user, uuid=uuid)
    _require(request, meeting, Action.VIEW, board_access.may_read(request.user, meeting.institution_id))
    return meeting


def _item(request: HttpRequest, uuid: UUID) -> AgendaItem:
    item = board_selectors.item_get(user=request.user, uuid=uuid)
    _require(request, item, Action.VIEW, board_access.may_read(request.user, item.meeting.institution_id))
    return item


def _export(request: HttpRequest, uuid: UUID) -> PacketExport:
    export = board_selectors.export_get(user=request.user, uuid=uuid)
    _require(request, export, Action.VIEW, board_access.may_read(request.user, export.meeting.institution_id))
    return export


def _require(request: HttpRequest, obj: Model, action: str, allowed: bool) -> None:
    if not allowed:
        audit_record(request=request, action=action, obj=obj, detail={"refused": "role"})
        raise PermissionDenied("Your role at this institution does not allow this on its tumour boards.")
