"""The clinician's worklist. Views adapt: check access, read through the selectors, record the audit event, render."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from crbn_portal import page_cache
from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent
from crbn_portal.permissions import access_key

from . import selectors


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_worklist(request.user):
        # Rendered here rather than raised: the project has no 403 template yet, and Django's bare one would not
        # say why. The refusal is audited, since the page is about identifiable patients.
        audit_record(request=request, action=AuditEvent.Action.LIST, detail={"page": "worklist", "refused": "role"})
        return render(request, "reports/worklist_forbidden.html", status=403)
    # Shared by users with the same access: the sections are read through the chokepoint and show nothing else
    # about the reader.
    cache_key = (access_key(request.user), timezone.localdate(), request.GET.urlencode())
    content, counts = page_cache.cached("worklist", cache_key, lambda: _worklist_content(request))
    detail = {"page": "worklist", **{key: value[:100] for key, value in request.GET.items() if value}}
    audit_record(request=request, action=AuditEvent.Action.LIST, detail={**detail, "counts": counts})
    return render(request, "reports/worklist.html", {"content": content, "counts": counts})


def _worklist_content(request: HttpRequest) -> tuple[str, dict[str, int]]:
    """The page's filters and sections, rendered, with each section's row count (for the audit event)."""
    context = selectors.worklist_page(user=request.user, params=request.GET)
    counts = {section.key: section.count for section in context["sections"]}
    return render_to_string("reports/_worklist_content.html", context), counts
