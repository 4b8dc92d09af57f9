"""The knowledge-base pages and the sample assessment page. Views adapt: check access, fetch through the
chokepoint, call one service, record the audit event, render or redirect."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crbn_portal.audit import audit_record
from crbn_portal.decorators import htmx_login_required
from crbn_portal.models import AuditEvent

from . import selectors, services
from .models import Trigger


@login_required
@require_GET
def kb_table(request: HttpRequest) -> HttpResponse:
    selectors.require_kb_reader(request.user)
    table = selectors.kb_table()
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=table.release, detail={"page": "kb table"})
    return render(request, "rules/kb_table.html", {"table": table})


@login_required
@require_http_methods(["GET", "POST"])
def release_list(request: HttpRequest) -> HttpResponse:
    """GET lists the releases; POST loads the bundled files as a draft (curators)."""
    selectors.require_kb_reader(request.user)
    if request.method == "POST":
        return _load_draft(request)
    audit_record(request=request, action=AuditEvent.Action.LIST, detail={"page": "kb releases"})
    context = {"releases": selectors.release_list(), "can_load": selectors.can_load_draft(request.user)}
    return render(request, "rules/release_list.html", context)


def _load_draft(request: HttpRequest) -> HttpResponse:
    selectors.require(selectors.can_load_draft(request.user), "Only curators load knowledge-base drafts.")
    try:
        release = services.release_load_draft(by=request.user)
    except ValidationError as error:
        audit_record(request=request, action=AuditEvent.Action.LOAD, detail={"refused": "; ".join(error.messages)})
        for message in error.messages:
            messages.error(request, f"The draft was not loaded. {message}")
        return redirect("rules:releases")
    audit_record(request=request, action=AuditEvent.Action.LOAD, obj=release)
    messages.success(request, f"Draft {release.release_id} loaded from the bundled files. Review it, then activate.")
    return redirect("rules:release", uuid=release.uuid)


@login_required
@require_GET
def release_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    selectors.require_kb_reader(request.user)
    release = selectors.release_get(uuid=uuid)
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=release)
    return render(
        request, "rules/release_detail.html", selectors.release_detail_context(release=release, user=request.user)
    )


@login_required
@require_POST
def release_activate(request: HttpRequest, uuid: UUID) -> HttpResponse:
    selectors.require(selectors.can_activate(request.user), "Only curators activate knowledge-base releases.")
    release = selectors.release_get(uuid=uuid)
    try:
        run = services.release_activate(release=release, by=request.user)
    except ValidationError as error:
        audit_record(
            request=request, action=AuditEvent.Action.ACTIVATE, obj=release, detail={"refused": error.messages}
        )
        for message in error.messages:
            messages.error(request, message)
        return redirect("rules:release", uuid=release.uuid)
    audit_record(
        request=request, action=AuditEvent.Action.ACTIVATE, obj=release, detail={"reassessment": str(run.uuid)}
    )
    messages.success(request, f"{release.release_id} is active. Every sample is being assessed again.")
    return redirect("rules:reassessment", uuid=run.uuid)


@login_required
@require_GET
def reassessment_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    selectors.require_kb_reader(request.user)
    run = selectors.reassessment_get(uuid=uuid)
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=run)
    return render(request, "rules/reassessment_detail.html", selectors.reassessment_context(run=run, user=request.user))


@htmx_login_required
@require_GET
def reassessment_progress(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The polled partial; the answer that finds the run finished carries no trigger, so polling stops."""
    selectors.require_kb_reader(request.user)
    run = selectors.reassessment_get(uuid=uuid)
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=run, detail={"part": "progress"})
    context = selectors.reassessment_context(run=run, user=request.user)
    return render(request, "rules/_reassessment_progress.html", context)


@login_required
@require_GET
def sample_assessment(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    context = selectors.assessment_page_context(sample=sample, user=request.user)
    assessment = context["assessment"]
    detail = {"page": "assessment", "assessment": str(assessment.uuid) if assessment else None}
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=sample, detail=detail)
    return render(request, "rules/sample_assessment.html", context)


@login_required
@require_POST
def sample_reassess(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    allowed = selectors.can_reassess(user=request.user, sample=sample)
    selectors.require(allowed, "Only the institution's clinicians and lab scientists may re-assess its samples.")
    assessment = services.assessment_queue(sample=sample, trigger=Trigger.ON_DEMAND, by=request.user)
    audit_record(
        request=request, action=AuditEvent.Action.ASSESS, obj=sample, detail={"assessment": str(assessment.uuid)}
    )
    messages.success(request, f"Sample {sample.accession} is queued for assessment.")
    return redirect("rules:sample_assessment", uuid=sample.uuid)
