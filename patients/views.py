"""Patient pages. Views adapt: fetch through the chokepoint, record the audit event, render."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent

from . import selectors


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    page = selectors.patient_page(user=request.user, params=request.GET)
    audit_record(request=request, action=AuditEvent.Action.LIST, detail=_listed_filters(request))
    return render(request, "patients/patient_list.html", page)


def _listed_filters(request: HttpRequest) -> dict[str, str]:
    """The filters a list was drawn with. The search term may be an MRN, so only its presence is logged."""
    filters = {key: value[:100] for key, value in request.GET.items() if key != "q" and value}
    if request.GET.get("q"):
        filters["q"] = "(search term withheld)"
    return filters


@login_required
def patient_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    patient = selectors.patient_get(user=request.user, uuid=uuid)
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=patient)
    return render(
        request, "patients/patient_detail.html", selectors.patient_detail_context(patient=patient, user=request.user)
    )
