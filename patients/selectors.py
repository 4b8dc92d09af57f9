"""Reads of clinical records. Every query starts from the permission chokepoint."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.utils import timezone

from crbn_portal.permissions import get_visible_or_404

from . import refractoriness, timeline
from .drugs import CRBN_DEPENDENT_CLASSES, DRUGS
from .filters import PatientFilter
from .models import Drug, Patient, Sample, TreatmentLine

PAGE_SIZE = 25

# In the controlled list's order (thalidomide, lenalidomide, pomalidomide, then the CELMoDs): the order of use.
CRBN_DEPENDENT_DRUGS = tuple(entry.name for entry in DRUGS if entry.drug_class in CRBN_DEPENDENT_CLASSES)

# Short names clinicians use for the CRBN-dependent drugs; the template shows the full name as the <abbr> title.
DRUG_ABBREVIATIONS = {
    "thalidomide": "Thal",
    "lenalidomide": "Len",
    "pomalidomide": "Pom",
    "iberdomide": "Iber",
    "mezigdomide": "Mezi",
}

CYTOGENETIC_FLAGS = ("t_4_14", "t_14_16", "del_17p", "gain_1q")


@dataclass(frozen=True)
class PatientRow:
    """One row of the patient list."""

    patient: Patient
    line_count: int
    refractory_to: tuple[tuple[str, str], ...]  # (abbreviation, full name), CRBN-dependent drugs only


@dataclass(frozen=True)
class DrugStatus:
    """One row of the per-drug refractoriness summary."""

    name: str
    received: bool
    refractory_since: int | None  # line number, IMWG 60-day rule


@dataclass(frozen=True)
class DrugGroup:
    heading: str
    drugs: list[DrugStatus]


@dataclass(frozen=True)
class CytogeneticFinding:
    label: str
    detected: bool | None  # None: not tested, which is not the same as absent

    @property
    def status(self) -> str:
        return {True: "Detected", False: "Not detected", None: "Not tested"}[self.detected]


def patient_get(*, user: Any, uuid: UUID) -> Patient:
    return get_visible_or_404(Patient, user, uuid=uuid)


def patient_page(*, user: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """The patient list's context: the filter form, one page of rows and its paginator."""
    patients = Patient.objects.visible_to(user).select_related("institution").prefetch_related(_lines_with_drugs())
    filterset = PatientFilter(params, queryset=patients, user=user)
    # An invalid choice (e.g. an institution outside the user's scope) shows the error and no rows,
    # rather than silently dropping that filter and listing everyone.
    matching = filterset.qs if filterset.is_valid() else patients.none()
    page = Paginator(matching, PAGE_SIZE).get_page(params.get("page"))
    return {"filter": filterset, "page_obj": page, "rows": [_patient_row(patient) for patient in page]}


def patient_detail_context(*, patient: Patient, user: Any) -> dict[str, Any]:
    """Everything the detail page shows; lines and samples are fetched through the chokepoint too."""
    lines = list(
        TreatmentLine.objects.visible_to(user)
        .filter(patient=patient)
        .order_by("line_number")
        .prefetch_related("drugs", "line_drugs__drug")
    )
    facts = [line.facts for line in lines]
    findings = cytogenetic_findings(patient)
    return {
        "patient": patient,
        "show_mrn": patient.mrn_visible_to(user),
        "cytogenetics": findings,
        "high_risk": high_risk_summary(findings),
        "first_relapse_date": refractoriness.first_relapse_date(facts),
        "lines": lines,
        "timeline": timeline.build_timeline([_line_span(line) for line in lines], today=timezone.localdate()),
        "refractory_window_days": refractoriness.REFRACTORY_WINDOW_DAYS,
        "drug_summary": _drug_summary(lines, refractoriness.refractory_drugs(facts)),
        "samples": Sample.objects.visible_to(user).filter(patient=patient).order_by("collection_date", "accession"),
    }


def _lines_with_drugs() -> Prefetch:
    lines = TreatmentLine.objects.order_by("line_number").prefetch_related("line_drugs__drug")
    return Prefetch("treatment_lines", queryset=lines)


def _patient_row(patient: Patient) -> PatientRow:
    lines = list(patient.treatment_lines.all())
    since = patient.refractory_drugs
    given = [item.drug for line in lines for item in line.line_drugs.all()]
    crbn_drugs = {drug.name for drug in given if drug.crbn_dependent}
    names = sorted(crbn_drugs & since.keys(), key=lambda name: (since[name], name))
    return PatientRow(
        patient=patient,
        line_count=len(lines),
        refractory_to=tuple((DRUG_ABBREVIATIONS.get(name, name), name) for name in names),
    )


def cytogenetic_findings(patient: Patient) -> list[CytogeneticFinding]:
    return [
        CytogeneticFinding(label=str(Patient._meta.get_field(flag).verbose_name), detected=getattr(patient, flag))
        for flag in CYTOGENETIC_FLAGS
    ]


def high_risk_summary(findings: Sequence[CytogeneticFinding]) -> str:
    """One phrase that never lets "not tested" read as "normal"."""
    detected = [finding.label for finding in findings if finding.detected]
    untested = [finding.label for finding in findings if finding.detected is None]
    if detected:
        return ", ".join(detected)
    if len(untested) == len(findings):
        return "Not tested"
    if untested:
        return f"None detected ({', '.join(untested)} not tested)"
    return "None detected"


def _line_span(line: TreatmentLine) -> timeline.LineSpan:
    drugs = line.refractory_drugs
    return timeline.LineSpan(
        number=line.line_number,
        regimen=line.regimen,
        start=line.start_date,
        end=line.end_date,
        progression=line.progression_date,
        refractory_drugs=drugs,
    )


def _drug_summary(lines: Sequence[TreatmentLine], refractory: Mapping[str, int]) -> list[DrugGroup]:
    """Every CRBN-dependent drug (received or not, since "never had Pom" matters at relapse), then the
    other drugs the patient received, if any."""
    received = {drug.name: drug for line in lines for drug in line.drugs.all()}
    others = sorted(name for name, drug in received.items() if not drug.crbn_dependent)
    groups = [DrugGroup("CRBN-dependent (IMiDs and CELMoDs)", _statuses(CRBN_DEPENDENT_DRUGS, received, refractory))]
    if others:
        groups.append(DrugGroup("Other drugs received", _statuses(others, received, refractory)))
    return groups


def _statuses(names: Iterable[str], received: Mapping[str, Drug], refractory: Mapping[str, int]) -> list[DrugStatus]:
    return [DrugStatus(name=name, received=name in received, refractory_since=refractory.get(name)) for name in names]
