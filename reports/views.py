"""The clinician's worklist. Views adapt: check access, read through the selectors, record the audit event, render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent

from . import selectors


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_worklist(request.user):
        # Rendered here rather than raised: the project has no 403 template yet, and Django's bare one would not
        # say why. The refusal is audited, since the page is about identifiable patients.
        audit_record(request=request, action=AuditEvent.Action.LIST, detail={"page": "worklist", "refused": "role"})
        return render(request, "reports/worklist_forbidden.html", status=403)
    context = selectors.worklist_page(user=request.user, params=request.GET)
    detail = {"page": "worklist", **{key: value[:100] for key, value in request.GET.items() if value}}
    detail["counts"] = {section.key: section.count for section in context["sections"]}
    audit_record(request=request, action=AuditEvent.Action.LIST, detail=detail)
    return render(request, "reports/worklist.html", context)
