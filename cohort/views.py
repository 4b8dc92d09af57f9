"""The registry's pages and exports. Views adapt: check access, read the de-identified dataset, call one
analysis, record the audit event, render. Bad query parameters fall back to the defaults with a message."""

import json
from collections.abc import Callable, Collection

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent

from . import page_data, selectors
from .exports import cbioportal, fhir, tables


def _choice(request: HttpRequest, name: str, choices: Collection[str], default: str) -> str:
    value = request.GET.get(name, default)
    if value not in choices:
        messages.error(request, f"Unknown {name} “{value}”: showing {default} instead.")
        return default
    return value


def _registry_reader(request: HttpRequest) -> None:
    selectors.require(
        selectors.can_view_registry(request.user),
        "The registry is open to researchers, clinicians, curators and admins.",
    )


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


def _download(content: str | bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _page_or_csv(
    request: HttpRequest, template: str, context: dict, *, detail: dict, to_csv: Callable[[], str], filename: str
) -> HttpResponse:
    """A table page, or with ``format=csv`` the same table as a download (built only then); audited either way."""
    action = AuditEvent.Action.DOWNLOAD if _wants_csv(request) else AuditEvent.Action.LIST
    audit_record(request=request, action=action, detail=detail)
    if _wants_csv(request):
        return _download(to_csv(), filename, "text/csv")
    return render(request, template, context)


@login_required
@require_GET
def frequencies(request: HttpRequest) -> HttpResponse:
    _registry_reader(request)
    dimension = _choice(request, "by", page_data.DIMENSION_CHOICES, "cohort")
    context = page_data.frequencies_context(user=request.user, dimension=dimension)
    return _page_or_csv(
        request,
        "cohort/frequencies.html",
        context,
        detail={"page": "registry frequencies", "by": dimension},
        to_csv=lambda: tables.frequency_csv(context["table"]),
        filename=f"crbn-registry-by-{dimension}.csv",
    )


@login_required
@require_GET
def survival(request: HttpRequest) -> HttpResponse:
    _registry_reader(request)
    endpoint = _choice(request, "endpoint", page_data.ENDPOINT_CHOICES, "pfs")
    grouping = _choice(request, "by", page_data.GROUPING_CHOICES, "status")
    context = page_data.survival_context(user=request.user, endpoint=endpoint, grouping=grouping)
    audit_record(
        request=request, action=AuditEvent.Action.LIST, detail={"page": "registry survival", "endpoint": endpoint}
    )
    return render(request, "cohort/survival.html", context)


@login_required
@require_GET
def learning_loop(request: HttpRequest) -> HttpResponse:
    selectors.require(selectors.can_view_learning_loop(request.user), "The learning loop is for curators.")
    early_days = page_data.early_days(request.GET.get("early_days"))
    if early_days.error:
        messages.error(request, early_days.error)
    context = page_data.learning_context(user=request.user, early_days=early_days.value)
    return _page_or_csv(
        request,
        "cohort/learning_loop.html",
        context,
        detail={"page": "learning loop", "early_days": early_days.value},
        to_csv=lambda: tables.learning_csv(context["rows"]),
        filename="crbn-learning-loop.csv",
    )


@login_required
@require_GET
def methods(request: HttpRequest) -> HttpResponse:
    _registry_reader(request)
    context = page_data.methods_context(user=request.user)
    return _page_or_csv(
        request,
        "cohort/methods.html",
        context,
        detail={"page": "registry methods"},
        to_csv=lambda: tables.methods_csv(context["rows"]),
        filename="crbn-registry-methods.csv",
    )


@login_required
@require_GET
def export_cbioportal(request: HttpRequest) -> HttpResponse:
    _registry_reader(request)
    build = _choice(request, "build", cbioportal.REFERENCE_GENOMES, "GRCh38")
    patients = page_data.patients_of_build(user=request.user, build=build)
    content = cbioportal.study_zip(
        patients,
        selectors.crbn_mutations(user=request.user, build=build),
        selectors.crbn_copy_numbers(user=request.user),
        build,
    )
    audit_record(request=request, action=AuditEvent.Action.DOWNLOAD, detail={"export": "cbioportal", "build": build})
    return _download(content, f"crbn_registry_{build.lower()}.zip", "application/zip")


@login_required
@require_GET
def export_fhir(request: HttpRequest) -> HttpResponse:
    _registry_reader(request)
    resources = selectors.signed_report_resources(user=request.user)
    audit_record(
        request=request, action=AuditEvent.Action.DOWNLOAD, detail={"export": "fhir", "reports": len(resources)}
    )
    return _download(
        json.dumps(fhir.bundle(resources), indent=2), "crbn-registry-reports.fhir.json", "application/fhir+json"
    )
