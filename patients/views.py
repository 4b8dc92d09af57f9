"""Patient pages. Views adapt: fetch through the chokepoint, record the audit event, render."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crbn_portal.audit import audit_record, listed_filters
from crbn_portal.models import AuditEvent

from . import panels, selectors


@login_required
def patient_list(request: HttpRequest) -> HttpResponse:
    page = selectors.patient_page(user=request.user, params=request.GET)
    audit_record(request=request, action=AuditEvent.Action.LIST, detail=listed_filters(request.GET))
    return render(request, "patients/patient_list.html", page)


@login_required
def patient_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    patient = selectors.patient_get(user=request.user, uuid=uuid)
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=patient)
    context = selectors.patient_detail_context(patient=patient, user=request.user)
    context["panels"] = panels.panels_for(request.user, patient)
    return render(request, "patients/patient_detail.html", context)
