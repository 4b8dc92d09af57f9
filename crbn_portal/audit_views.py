"""The audit log page: institution admins search their institution's events, superusers everyone's."""

import json
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .audit import audit_record
from .models import AuditEvent
from .roles import Role
from .spreadsheet import csv_text

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000  # rows in one CSV file; narrow the search for more
CSV_COLUMNS = (
    "at", "username", "action", "object_type", "object_uuid", "object_version", "path", "ip_address", "detail",
)  # fmt: skip
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def audit_events_visible_to(user: Any) -> models.QuerySet:
    """Superusers see every event; an institution admin sees the events of the people of their institutions.
    Events without a known user (failed logins for unknown names) are the superusers' alone."""
    if user.is_superuser:
        return AuditEvent.objects.all()
    administered = user.memberships.filter(role=Role.ADMIN).values("institution")
    members = get_user_model().objects.filter(memberships__institution__in=administered)
    return AuditEvent.objects.filter(user__in=members)


def require_audit_reader(user: Any) -> None:
    if not (user.is_superuser or user.memberships.filter(role=Role.ADMIN).exists()):
        raise PermissionDenied("The audit log is for institution admins.")


class AuditEventFilter(django_filters.FilterSet):
    username = django_filters.CharFilter(lookup_expr="icontains", label="User")
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices, label="Action")
    object_type = django_filters.CharFilter(lookup_expr="icontains", label="Object type")
    object_uuid = django_filters.UUIDFilter(label="Object ID")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte", label="From", widget=DATE_INPUT)
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte", label="To", widget=DATE_INPUT)

    class Meta:
        model = AuditEvent
        fields: list[str] = []


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The filtered events, a page at a time; with ``export=csv``, all of them (up to EXPORT_LIMIT) as a CSV file."""
    require_audit_reader(request.user)
    events = AuditEventFilter(request.GET, queryset=audit_events_visible_to(request.user))
    query = request.GET.dict()
    if query.get("export") == "csv":
        audit_record(request=request, action=AuditEvent.Action.DOWNLOAD, detail={"export": "audit", "query": query})
        return _csv_response(events.qs[:EXPORT_LIMIT])
    audit_record(request=request, action=AuditEvent.Action.LIST, detail={"page": "audit", "query": query})
    page = Paginator(events.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/audit_log.html", {"filter": events, "page": page, "export_limit": EXPORT_LIMIT})


def _csv_response(events: models.QuerySet) -> HttpResponse:
    rows = [CSV_COLUMNS] + [
        [getattr(event, column) for column in CSV_COLUMNS[:-1]] + [json.dumps(event.detail, sort_keys=True)]
        for event in events
    ]
    response = HttpResponse(csv_text(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
