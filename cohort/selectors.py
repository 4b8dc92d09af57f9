"""Reads for the registry: the de-identified dataset built from patients, lines, samples and assessments.

The registry's chokepoint is ``registry_patients(user)``: patients who consented to the registry, across every
institution, for users holding ``cohort.view_registry``; nobody else gets a row. What leaves this module is
de-identified (cohort/dataset.py records: registry ID, no MRN, no study ID, no names); dates stay true here
because analyses need intervals only, and every export shifts them per patient.
"""

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from patients.models import LineDrug, Patient, Sample, TreatmentLine
from reports.models import Report, ReportStatus
from rules.engine import KnowledgeBase
from rules.models import Assessment, JobStatus
from rules.services import active_release, bundled_knowledge_base, knowledge_base
from variants.models import CopyNumberSegment, FileKind, SmallVariant, VariantFile

from . import deidentify
from .dataset import (
    RegistryLine,
    RegistryPatient,
    RegistrySample,
    assessable_classes,
    lines_before,
    sample_cohort,
)
from .exports.cbioportal import MafRow
from .exports.fhir import diagnostic_report

SPLICE_BY_JUNCTIONS, SPLICE_NOT_TESTED = "RNA-seq junction reads", "not tested"
LOW_CONFIDENCE_FLAGS = frozenset({"below_lod", "filtered"})


# ---- access ------------------------------------------------------------------------------------------------------


def can_view_registry(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("cohort.view_registry"))


def can_view_learning_loop(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm("cohort.view_learning_loop"))


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def registry_patients(user: Any) -> QuerySet[Patient]:
    """The registry's chokepoint (see the module docstring)."""
    if not can_view_registry(user):
        return Patient.objects.none()
    return Patient.objects.filter(registry_consent=True)


def registry_secret() -> str:
    return settings.REGISTRY_SECRET


def current_kb() -> KnowledgeBase:
    release = active_release()
    return knowledge_base(release) if release else bundled_knowledge_base()


# ---- the dataset -------------------------------------------------------------------------------------------------


def registry_dataset(*, user: Any) -> list[RegistryPatient]:
    """Every registry patient with lines and assessed samples, de-identified. A handful of queries in all."""
    patients = registry_patients(user)
    lines = _lines(patients)
    samples = _samples(patients, lines, current_kb())
    secret = registry_secret()
    rows = patients.values(
        "id", "uuid", "institution__code", "institution__region", "presentation", "sex", "year_of_birth",
        "diagnosis_date", "last_follow_up_date", "date_of_death",
    )  # fmt: skip
    return [_patient(row, secret, lines.get(row["id"], ()), samples.get(row["id"], ())) for row in rows]


def _patient(
    row: dict[str, Any], secret: str, lines: tuple[RegistryLine, ...], samples: list[dict[str, Any]]
) -> RegistryPatient:
    registry_id = deidentify.registry_id(secret, row["uuid"])
    return RegistryPatient(
        registry_id=registry_id,
        date_shift=deidentify.date_shift_days(secret, row["uuid"]),
        institution=row["institution__code"],
        region=row["institution__region"],
        presentation=row["presentation"],
        sex=row["sex"],
        age_at_diagnosis=row["diagnosis_date"].year - row["year_of_birth"],
        diagnosis=row["diagnosis_date"],
        last_follow_up=row["last_follow_up_date"],
        death=row["date_of_death"],
        lines=lines,
        samples=tuple(_sample(item, registry_id, row, lines) for item in samples),
    )


def _lines(patients: QuerySet[Patient]) -> dict[int, tuple[RegistryLine, ...]]:
    drugs: dict[int, set[str]] = defaultdict(set)
    for line_id, name in LineDrug.objects.filter(line__patient__in=patients).values_list("line_id", "drug__name"):
        drugs[line_id].add(name)
    lines: dict[int, list[RegistryLine]] = defaultdict(list)
    fields = ("id", "patient_id", "line_number", "start_date", "end_date", "best_response", "progression_date")
    for row in TreatmentLine.objects.filter(patient__in=patients).order_by("patient_id", "line_number").values(*fields):
        line = RegistryLine(
            row["line_number"], frozenset(drugs[row["id"]]), row["start_date"], row["end_date"],
            row["best_response"], row["progression_date"],
        )  # fmt: skip
        lines[row["patient_id"]].append(line)
    return {patient_id: tuple(items) for patient_id, items in lines.items()}


def _samples(
    patients: QuerySet[Patient], lines: dict[int, tuple[RegistryLine, ...]], kb: KnowledgeBase
) -> dict[int, list[dict[str, Any]]]:
    """Assessed samples per patient id, each with what its latest finished assessment found and could see."""
    findings = _latest_findings(patients, {letter: cls.evidence for letter, cls in kb.classes.items()})
    junctions = set(
        VariantFile.objects.filter(sample__patient__in=patients, kind=FileKind.JUNCTIONS).values_list(
            "sample_id", flat=True
        )
    )
    fields = (
        "id",
        "uuid",
        "patient_id",
        "timepoint",
        "collection_date",
        "specimen",
        "enrichment",
        "assay",
        "genome_build",
    )
    by_patient: dict[int, list[dict[str, Any]]] = defaultdict(list)
    # Unassessed samples are skipped here, not by an id list in SQL: SQLite slows quadratically on long IN lists.
    for row in Sample.objects.filter(patient__in=patients).values(*fields):
        if row["id"] not in findings:
            continue
        row.update(findings[row["id"]], splice=SPLICE_BY_JUNCTIONS if row["id"] in junctions else SPLICE_NOT_TESTED)
        by_patient[row["patient_id"]].append(row)
    return by_patient


def _latest_findings(
    patients: QuerySet[Patient], class_evidence: dict[str, tuple[str, ...]]
) -> dict[int, dict[str, Any]]:
    """Sample id -> found and assessable classes, from the newest finished assessment of each sample. Only the two
    JSON keys needed are read, not the whole result (its trace is most of it)."""
    latest: dict[int, dict[str, Any]] = {}
    rows = (
        Assessment.objects.filter(status=JobStatus.DONE, sample__patient__in=patients)
        .order_by("sample_id", "-created_at", "-id")
        .values("sample_id", "result__alterations", "result__qc__evidence")
    )
    for row in rows:
        if row["sample_id"] in latest:
            continue
        adequate = frozenset(item["kind"] for item in row["result__qc__evidence"] or () if item.get("adequate"))
        latest[row["sample_id"]] = {
            "found": frozenset(
                item["class"]
                for item in row["result__alterations"] or ()
                if not LOW_CONFIDENCE_FLAGS & set(item.get("flags", ()))
            ),
            "assessable": assessable_classes(adequate, class_evidence),
        }
    return latest


def _sample(
    row: dict[str, Any], registry_id: str, patient: dict[str, Any], lines: tuple[RegistryLine, ...]
) -> RegistrySample:
    collected: date = row["collection_date"]
    return RegistrySample(
        key=str(row["uuid"]),
        registry_id=registry_id,
        institution=patient["institution__code"],
        region=patient["institution__region"],
        presentation=patient["presentation"],
        timepoint=row["timepoint"],
        collected=collected,
        specimen=row["specimen"],
        enrichment=row["enrichment"],
        assay=row["assay"],
        build=row["genome_build"],
        splice_method=row["splice"],
        cohort=sample_cohort(row["timepoint"], collected, lines),
        lines_before=lines_before(collected, lines),
        found=row["found"],
        assessable=row["assessable"],
    )


def registry_samples(patients: list[RegistryPatient]) -> list[RegistrySample]:
    return [sample for patient in patients for sample in patient.samples]


# ---- what the exports read beyond the dataset --------------------------------------------------------------------


def crbn_mutations(*, user: Any, build: str) -> list[MafRow]:
    """PASS CRBN small variants of the registry's samples of one genome build."""
    rows = SmallVariant.objects.filter(
        sample__patient__in=registry_patients(user), sample__genome_build=build, gene="CRBN", filter="PASS"
    ).values_list("sample__uuid", "chrom", "pos", "ref", "alt", "consequence", "hgvs_p", "depth", "alt_count")
    return [MafRow(str(key), *rest) for key, *rest in rows]


def crbn_copy_numbers(*, user: Any) -> dict[str, float | None]:
    """Sample key -> the lowest absolute CRBN copy number among its segments."""
    lowest: dict[str, float | None] = {}
    segments = CopyNumberSegment.objects.filter(sample__patient__in=registry_patients(user), gene="CRBN")
    for key, value in segments.values_list("sample__uuid", "copy_number"):
        known = [item for item in (lowest.get(str(key)), value) if item is not None]
        lowest[str(key)] = min(known) if known else None
    return lowest


def signed_report_resources(*, user: Any) -> list[dict[str, Any]]:
    """The signed version in force of every registry sample's report, as FHIR DiagnosticReports."""
    secret = registry_secret()
    reports = Report.objects.filter(status=ReportStatus.SIGNED, sample__patient__in=registry_patients(user))
    rows = reports.values(
        "uuid", "version", "frozen_result", "signed_at", "sample__collection_date", "sample__patient__uuid"
    )
    return [_fhir(row, secret) for row in rows.order_by("signed_at", "id")]


def _fhir(row: dict[str, Any], secret: str) -> dict[str, Any]:
    patient_uuid = row["sample__patient__uuid"]
    offset = deidentify.date_shift_days(secret, patient_uuid)
    return diagnostic_report(
        report_id=f"report-{deidentify.registry_id(secret, row['uuid']).removeprefix(deidentify.REGISTRY_ID_PREFIX)}",
        registry_id=deidentify.registry_id(secret, patient_uuid),
        version=row["version"],
        result=row["frozen_result"] or {},
        collected=row["sample__collection_date"] + timedelta(days=offset),
        signed=row["signed_at"] + timedelta(days=offset),
    )
