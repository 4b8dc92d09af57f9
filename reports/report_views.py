"""The report pages and the workflow's actions. Views adapt: fetch through the chokepoint (404 for a report the user
may not see), parse the form, call one service (403 for a wrong role, a message for a refusal), record the audit
event (accepted or refused), redirect back to the report."""

import hashlib
import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from crbn_portal import lockout, otp
from crbn_portal.audit import audit_record, audit_record_poll
from crbn_portal.decorators import htmx_login_required
from crbn_portal.models import AuditEvent

from . import report_forms, report_selectors, services
from .models import Report
from .pdf_files import pdf_attachment, verified_pdf

logger = logging.getLogger(__name__)
Action = AuditEvent.Action


# ---- pages ------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def report_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    report = _report(request, uuid)
    context = report_selectors.report_page_context(report=report, user=request.user)
    context["signing_code"] = otp.signing_code_state(institution=report.sample.institution, user=request.user)
    audit_record(request=request, action=Action.VIEW, obj=report, detail={"status": report.status})
    return render(request, "reports/report_detail.html", context)


@htmx_login_required
@require_GET
def report_render_status(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The polled partial; the answer that finds the render finished carries no trigger, so polling stops."""
    report = _report(request, uuid)
    audit_record_poll(request=request, obj=report, part="render status")
    context = report_selectors.render_status_context(report=report, user=request.user)
    return render(request, "reports/report_render_status.html", context)


@login_required
@require_GET
def sample_reports(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = report_selectors.sample_get(user=request.user, uuid=uuid)
    report_selectors.require_reader(request.user)
    audit_record(request=request, action=Action.VIEW, obj=sample, detail={"page": "reports"})
    context = report_selectors.sample_page_context(sample=sample, user=request.user)
    return render(request, "reports/report_sample.html", context)


@login_required
@require_GET
def report_pdf(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The signed PDF, served only if the stored bytes still hash to the digest recorded when it was rendered.
    The verified bytes themselves are served, so nothing can change between the check and the response."""
    report = _report(request, uuid)
    if not report.pdf_ready:
        return _pdf_refused(request, report, f"The PDF is not ready ({report.get_render_status_display().lower()}).")
    data = verified_pdf(report.pdf, report.pdf_sha256)
    if data is None:
        logger.error("Report %s: the stored PDF is missing or does not match its sha256", report.uuid)
        return _pdf_refused(
            request,
            report,
            "The stored PDF does not match the digest recorded when it was signed and rendered, so it is not "
            "served. The signed record is intact in the database; tell support, who will restore the file.",
        )
    audit_record(request=request, action=Action.DOWNLOAD, obj=report, detail={"sha256": report.pdf_sha256})
    return pdf_attachment(data, _pdf_filename(report))


def _pdf_refused(request: HttpRequest, report: Report, message: str) -> HttpResponse:
    audit_record(request=request, action=Action.DOWNLOAD, obj=report, detail={"refused": message})
    return render(request, "reports/report_pdf_refused.html", {"report": report, "message": message}, status=409)


def _pdf_filename(report: Report) -> str:
    return f"{report.sample.accession}-relapse-report-v{report.version}.pdf"


# ---- actions ----------------------------------------------------------------------------------------------------


@login_required
@require_POST
def report_create(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = report_selectors.sample_get(user=request.user, uuid=uuid)
    try:
        report = services.report_create_draft(sample=sample, by=request.user)
    except PermissionDenied:
        audit_record(request=request, action=Action.DRAFT, obj=sample, detail={"refused": "role"})
        raise
    except ValidationError as error:
        audit_record(request=request, action=Action.DRAFT, obj=sample, detail={"refused": error.messages})
        _error_messages(request, error)
        return redirect("report:sample", uuid=sample.uuid)
    audit_record(request=request, action=Action.DRAFT, obj=report, detail={"assessment": str(report.assessment.uuid)})
    messages.success(request, f"Draft v{report.version} created for sample {sample.accession}.")
    return redirect("report:detail", uuid=report.uuid)


@login_required
@require_POST
def report_submit(request: HttpRequest, uuid: UUID) -> HttpResponse:
    def run(report: Report, data: dict[str, Any]) -> Report:
        return services.report_submit(report=report, by=request.user, revision=data["revision"])

    return _act(request, uuid, Action.SUBMIT, report_forms.RevisionForm, run, "Submitted for review.")


@login_required
@require_POST
def report_review(request: HttpRequest, uuid: UUID) -> HttpResponse:
    def run(report: Report, data: dict[str, Any]) -> Report:
        return services.report_review(
            report=report,
            by=request.user,
            decision=data["decision"],
            comment=data["comment"],
            revision=data["revision"],
        )

    decision = request.POST.get("decision", "")
    action = Action.RETURN if decision == "return" else Action.REVIEW
    return _act(request, uuid, action, report_forms.ReviewForm, run, "Your review is recorded.")


@login_required
@require_POST
def report_return(request: HttpRequest, uuid: UUID) -> HttpResponse:
    def run(report: Report, data: dict[str, Any]) -> Report:
        return services.report_return(
            report=report, by=request.user, comment=data["comment"], revision=data["revision"]
        )

    return _act(request, uuid, Action.RETURN, report_forms.ReturnForm, run, "Returned to the author with your comment.")


@login_required
@require_POST
def report_sign(request: HttpRequest, uuid: UUID) -> HttpResponse:
    def run(report: Report, data: dict[str, Any]) -> Report:
        if lockout.is_locked_out(request, request.user):
            raise ValidationError(lockout.LOCKED_OUT)
        try:
            return services.report_sign(
                report=report,
                by=request.user,
                password=data["password"],
                revision=data["revision"],
                one_time_code=data["one_time_code"],
            )
        except lockout.FailedSecret:
            lockout.record_failed_password(request, request.user)
            raise

    return _act(request, uuid, Action.SIGN, report_forms.SignForm, run, "Signed. The PDF is being rendered.")


@login_required
@require_POST
def report_amend(request: HttpRequest, uuid: UUID) -> HttpResponse:
    def run(report: Report, data: dict[str, Any]) -> Report:
        return services.report_amend(report=report, by=request.user, reason=data["reason"])

    message = "Amendment drafted. The signed version stays in force until the amendment is signed."
    return _act(request, uuid, Action.AMEND, report_forms.AmendForm, run, message)


@login_required
@require_POST
def report_render_again(request: HttpRequest, uuid: UUID) -> HttpResponse:
    def run(report: Report, data: dict[str, Any]) -> Report:
        return services.report_render_again(report=report, by=request.user)

    return _act(request, uuid, Action.RENDER, forms.Form, run, "The PDF is queued for rendering again.")


def _act(
    request: HttpRequest,
    uuid: UUID,
    action: str,
    form_class: type[forms.Form],
    run: Callable[[Report, dict[str, Any]], Report],
    success: str,
) -> HttpResponse:
    """One workflow action: every outcome is audited, the password never."""
    report = _report(request, uuid)
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()])
        result = run(report, form.cleaned_data)
    except PermissionDenied:
        audit_record(request=request, action=action, obj=report, detail={"refused": "role"})
        raise
    except ValidationError as error:
        audit_record(request=request, action=action, obj=report, detail={"refused": error.messages})
        _error_messages(request, error)
        return redirect("report:detail", uuid=report.uuid)
    audit_record(request=request, action=action, obj=result, detail=_outcome(report, result))
    messages.success(request, success)
    return redirect("report:detail", uuid=result.uuid)


def _outcome(before: Report, after: Report) -> dict[str, Any]:
    detail: dict[str, Any] = {"from": before.status, "to": after.status, "revision": after.revision}
    if after.pk != before.pk:
        detail["amends"] = str(before.uuid)
    if after.sealed:
        detail["signed_html_sha256"] = hashlib.sha256(after.rendered_html.encode()).hexdigest()
    return detail


def _report(request: HttpRequest, uuid: UUID) -> Report:
    report = report_selectors.report_get(user=request.user, uuid=uuid)
    report_selectors.require_reader(request.user)
    return report


def _error_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)
