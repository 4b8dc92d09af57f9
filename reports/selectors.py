"""Reads for the clinician's worklist. Every query starts from the permission chokepoint, ``visible_to(user)``.

The worklist is a list of sections, each a prompt to act with its own query, table and empty state. The first two
carry the programme of domain/CRBN.md section 1: test CRBN at the first progression of Len/Pom-exposed patients.
A later section (relapse reports awaiting review) slots in as one more builder in ``SECTION_BUILDERS`` and one
more table template; the page, the filters, the pagination and the audit stay as they are.

Whether a row belongs on the list, and its status, are decided in SQL so that filters, counts and pagination agree;
the page's 25 rows are then completed (treatment lines, error texts) with a fixed number of prefetch queries.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import QueryDict
from django.utils import timezone

from patients.models import Institution, LineDrug, Patient, Sample, TreatmentLine
from patients.selectors import CRBN_DEPENDENT_DRUGS, DRUG_ABBREVIATIONS
from rules.models import Assessment, JobStatus
from variants.models import ParseRun, VariantFile
from variants.selectors import with_current_runs

from .forms import WorklistFilterForm
from .status import NEXT_STEPS, WorklistStatus

PAGE_SIZE = 25
# The programme's entry criterion (CRBN.md section 1): exposure to either drug, in any line.
LEN_POM = ("lenalidomide", "pomalidomide")


# ---- access -----------------------------------------------------------------------------------------------------


def can_see_worklist(user: Any) -> bool:
    """Any role that works on an institution's patients (clinicians first, but also lab scientists, coordinators,
    curators and admins, who see the same patients elsewhere). Researchers read the de-identified registry only,
    and this page names patients."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or Institution.objects.visible_to(user).exists()


# ---- rows -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrugExposure:
    """A CRBN-dependent drug the patient received, and the line that first made them refractory to it."""

    name: str
    abbreviation: str
    refractory_line: int | None  # IMWG 60-day rule (patients/refractoriness.py)

    def __str__(self) -> str:
        if self.refractory_line is None:
            return f"{self.abbreviation} exposed"
        return f"{self.abbreviation} refractory (line {self.refractory_line})"


@dataclass(frozen=True)
class UntestedRow:
    """A Len/Pom-exposed patient whose first-relapse sample has no CRBN result yet."""

    patient: Patient
    sample: Sample
    first_relapse_date: date | None
    exposures: tuple[DrugExposure, ...]
    days_since_collection: int
    status: WorklistStatus
    detail: str  # the parser's or the engine's error, when the status is a failure
    other_samples: int  # further first-relapse samples of the patient, none with a result either

    @property
    def next_step(self) -> str:
        return NEXT_STEPS[self.status]


@dataclass(frozen=True)
class UnsampledRow:
    """A Len/Pom-exposed patient whose first progression is recorded but who has no first-relapse sample."""

    patient: Patient
    first_relapse_date: date
    exposures: tuple[DrugExposure, ...]
    days_since_first_relapse: int
    status: WorklistStatus = WorklistStatus.NO_SAMPLE

    @property
    def next_step(self) -> str:
        return NEXT_STEPS[self.status]


# ---- sections ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The cleaned filters; ``valid`` is False when a choice was refused, and then every section is empty."""

    institution: Institution | None = None
    status: str = ""
    valid: bool = True

    @property
    def applied(self) -> bool:
        return bool(self.institution or self.status) or not self.valid


@dataclass(frozen=True)
class WorklistSection:
    """One titled table of the worklist, paginated on its own (``<key>_page``) and anchored at ``#<key>``."""

    key: str
    title: str
    summary: str
    empty_text: str  # what would appear here: an empty list must never read as "nothing to do" by accident
    table_template: str
    page_obj: Page
    rows: list[Any]
    previous_url: str | None
    next_url: str | None

    @property
    def count(self) -> int:
        return self.page_obj.paginator.count


SectionBuilder = Callable[..., WorklistSection]


def worklist_page(*, user: Any, params: QueryDict) -> dict[str, Any]:
    """The worklist's context: the filter form and every section, each with one page of rows."""
    form = WorklistFilterForm(params, user=user)
    if form.is_valid():
        filters = Filters(institution=form.cleaned_data["institution"], status=form.cleaned_data["status"])
    else:
        # A refused choice (e.g. another centre's code) shows the error and no rows, rather than dropping the
        # filter and listing everyone.
        filters = Filters(valid=False)
    today = timezone.localdate()
    sections = [build(user=user, filters=filters, params=params, today=today) for build in SECTION_BUILDERS]
    return {"filter_form": form, "filters": filters, "sections": sections}


def untested_first_relapse_section(*, user: Any, filters: Filters, params: QueryDict, today: date) -> WorklistSection:
    samples = untested_first_relapse_samples(user=user)
    if filters.institution is not None:
        samples = samples.filter(institution=filters.institution)
    if filters.status:
        samples = samples.filter(worklist_status=filters.status)
    if not filters.valid:
        samples = samples.none()
    return _section(
        key="untested",
        title="Awaiting CRBN testing at first progression",
        summary=(
            "Patients exposed to lenalidomide or pomalidomide whose first-relapse sample has no CRBN result yet, "
            "oldest sample first. The status says whether to chase the lab or wait."
        ),
        empty_text=(
            "A patient appears here when they have received lenalidomide or pomalidomide, a first-relapse sample "
            "is registered for them, and no CRBN assessment of it has completed."
        ),
        table_template="reports/_untested_table.html",
        items=samples,
        to_rows=lambda page: _untested_rows(user=user, samples=page, today=today),
        params=params,
    )


def unsampled_first_progression_section(
    *, user: Any, filters: Filters, params: QueryDict, today: date
) -> WorklistSection:
    patients = unsampled_first_progression_patients(user=user)
    if filters.institution is not None:
        patients = patients.filter(institution=filters.institution)
    if (filters.status and filters.status != WorklistStatus.NO_SAMPLE) or not filters.valid:
        patients = patients.none()
    return _section(
        key="unsampled",
        title="First progression without a sample",
        summary=(
            "Patients exposed to lenalidomide or pomalidomide whose treatment history records a first progression "
            "but who have no first-relapse sample: the prompt to test CRBN now. Oldest progression first."
        ),
        empty_text=(
            "A patient appears here when they have received lenalidomide or pomalidomide, a treatment line records "
            "their first progression, and no first-relapse sample is registered for them."
        ),
        table_template="reports/_unsampled_table.html",
        items=patients,
        to_rows=lambda page: _unsampled_rows(patients=page, today=today),
        params=params,
    )


# The page shows the sections in this order. Add a builder here (and its table template) to add a section.
SECTION_BUILDERS: tuple[SectionBuilder, ...] = (untested_first_relapse_section, unsampled_first_progression_section)


def _section(
    *,
    key: str,
    title: str,
    summary: str,
    empty_text: str,
    table_template: str,
    items: QuerySet[Any],
    to_rows: Callable[[Sequence[Any]], list[Any]],
    params: QueryDict,
) -> WorklistSection:
    page_param = f"{key}_page"
    page = Paginator(items, PAGE_SIZE).get_page(params.get(page_param))
    return WorklistSection(
        key=key,
        title=title,
        summary=summary,
        empty_text=empty_text,
        table_template=table_template,
        page_obj=page,
        rows=to_rows(list(page)),
        previous_url=_page_url(params, page_param, key, page.previous_page_number()) if page.has_previous() else None,
        next_url=_page_url(params, page_param, key, page.next_page_number()) if page.has_next() else None,
    )


def _page_url(params: QueryDict, page_param: str, anchor: str, number: int) -> str:
    """The same filters and the other sections' pages, with this section's page changed."""
    query = params.copy()
    query[page_param] = str(number)
    return f"?{query.urlencode()}#{anchor}"


# ---- section 1: first-relapse samples without a result ------------------------------------------------------------


def untested_first_relapse_samples(*, user: Any) -> QuerySet[Sample]:
    """One first-relapse sample per Len/Pom-exposed patient none of whose first-relapse samples has a done
    assessment (the earliest collected, if there are several), annotated with ``worklist_status``; oldest first.

    The correlated subqueries below run against rows already scoped by ``visible_to``: a sample's files,
    assessments and sibling samples belong to the same patient, so to the same institution.
    """
    first_relapse = Sample.objects.filter(patient=OuterRef("patient"), timepoint=Sample.Timepoint.FIRST_RELAPSE)
    has_result = Assessment.objects.filter(
        sample__patient=OuterRef("patient"), sample__timepoint=Sample.Timepoint.FIRST_RELAPSE, status=JobStatus.DONE
    )
    latest_assessment = Assessment.objects.filter(sample=OuterRef("pk")).order_by("-created_at", "-id")
    siblings = first_relapse.order_by().values("patient").annotate(n=Count("pk")).values("n")
    return (
        Sample.objects.visible_to(user)
        .filter(timepoint=Sample.Timepoint.FIRST_RELAPSE)
        .filter(_len_pom_exposed("patient"))
        .exclude(Exists(has_result))
        .filter(pk=Subquery(first_relapse.order_by("collection_date", "id").values("pk")[:1]))
        .annotate(
            latest_assessment_status=Subquery(latest_assessment.values("status")[:1]),
            first_relapse_samples=Subquery(siblings[:1], output_field=IntegerField()),
        )
        .annotate(worklist_status=_sample_status())
        .select_related("patient__institution", "institution")
        .prefetch_related(_patient_lines("patient__treatment_lines"))
        .order_by("collection_date", "patient__study_id", "id")
    )


def _sample_status() -> Case:
    """The first that applies, most actionable first. A file counts by its latest parse run (the ordering
    ``with_current_runs`` uses, so the error shown is the one that set the status)."""
    return Case(
        When(~Exists(VariantFile.objects.filter(sample=OuterRef("pk"))), then=Value(WorklistStatus.NO_FILES)),
        When(_file_exists(latest_run=ParseRun.Status.FAILED), then=Value(WorklistStatus.PARSE_FAILED)),
        When(
            _file_exists(Q(latest_run__in=[ParseRun.Status.QUEUED, ParseRun.Status.RUNNING]))
            | _file_exists(confirmed=True, latest_run__isnull=True),
            then=Value(WorklistStatus.PARSING),
        ),
        When(_file_exists(confirmed=False), then=Value(WorklistStatus.AWAITING_CONFIRMATION)),
        When(latest_assessment_status=JobStatus.FAILED, then=Value(WorklistStatus.ASSESSMENT_FAILED)),
        When(latest_assessment_status=JobStatus.RUNNING, then=Value(WorklistStatus.ASSESSMENT_RUNNING)),
        When(latest_assessment_status=JobStatus.QUEUED, then=Value(WorklistStatus.ASSESSMENT_QUEUED)),
        default=Value(WorklistStatus.NOT_ASSESSED),
        output_field=CharField(),
    )


def _file_exists(*conditions: Q, **lookup: Any) -> Exists:
    latest_run = ParseRun.objects.filter(file=OuterRef("pk")).order_by("-created_at", "-id").values("status")[:1]
    files = VariantFile.objects.filter(sample=OuterRef("pk")).annotate(latest_run=Subquery(latest_run))
    return Exists(files.filter(*conditions, **lookup))


def _untested_rows(*, user: Any, samples: Sequence[Sample], today: date) -> list[UntestedRow]:
    details = _failure_details(user=user, samples=samples)
    rows = []
    for sample in samples:
        status = WorklistStatus(sample.worklist_status)
        patient = sample.patient
        rows.append(
            UntestedRow(
                patient=patient,
                sample=sample,
                first_relapse_date=patient.first_relapse_date,
                exposures=exposures(patient),
                days_since_collection=(today - sample.collection_date).days,
                status=status,
                detail=details.get((sample.pk, status), ""),
                other_samples=max(0, (sample.first_relapse_samples or 1) - 1),
            )
        )
    return rows


def _failure_details(*, user: Any, samples: Sequence[Sample]) -> dict[tuple[int, WorklistStatus], str]:
    """The error behind a failed status, for one page of samples: two queries for the files and their latest
    runs, one for the latest assessments, whatever the page holds."""
    details: dict[tuple[int, WorklistStatus], str] = {}
    failed_parse = [s.pk for s in samples if s.worklist_status == WorklistStatus.PARSE_FAILED]
    failed_assessment = [s.pk for s in samples if s.worklist_status == WorklistStatus.ASSESSMENT_FAILED]
    if failed_parse:
        files = VariantFile.objects.visible_to(user).filter(sample_id__in=failed_parse).order_by("-created_at", "-id")
        for variant_file in with_current_runs(user=user, files=files):
            run = variant_file.current_run
            if run is not None and run.status == ParseRun.Status.FAILED:
                # The parser's message already names the file and the line.
                details.setdefault((variant_file.sample_id, WorklistStatus.PARSE_FAILED), run.error or "no message")
    if failed_assessment:
        assessments = (
            Assessment.objects.visible_to(user)
            .filter(sample_id__in=failed_assessment)
            .order_by("sample_id", "-created_at", "-id")
            .values_list("sample_id", "error")
        )
        for sample_id, error in assessments:
            details.setdefault((sample_id, WorklistStatus.ASSESSMENT_FAILED), error or "no message")
    return details


# ---- section 2: first progression without a first-relapse sample ----------------------------------------------


def unsampled_first_progression_patients(*, user: Any) -> QuerySet[Patient]:
    """Len/Pom-exposed patients with a recorded progression and no first-relapse sample, oldest first relapse first.

    ``first_progression`` is the SQL twin of ``refractoriness.first_relapse_date`` (the first progression in line
    order); the rows show the Python value, so ordering and display read the same definition.
    """
    progressions = TreatmentLine.objects.filter(patient=OuterRef("pk"), progression_date__isnull=False)
    samples = Sample.objects.filter(patient=OuterRef("pk"), timepoint=Sample.Timepoint.FIRST_RELAPSE)
    return (
        Patient.objects.visible_to(user)
        .filter(_len_pom_exposed("pk"))
        .annotate(first_progression=Subquery(progressions.order_by("line_number").values("progression_date")[:1]))
        .filter(first_progression__isnull=False)
        .exclude(Exists(samples))
        .select_related("institution")
        .prefetch_related(_patient_lines("treatment_lines"))
        .order_by("first_progression", "institution__code", "study_id")
    )


def _unsampled_rows(*, patients: Iterable[Patient], today: date) -> list[UnsampledRow]:
    rows = []
    for patient in patients:
        relapse = patient.first_relapse_date
        assert relapse is not None  # the query keeps only patients with a recorded progression
        rows.append(
            UnsampledRow(
                patient=patient,
                first_relapse_date=relapse,
                exposures=exposures(patient),
                days_since_first_relapse=(today - relapse).days,
            )
        )
    return rows


# ---- shared -----------------------------------------------------------------------------------------------------


def _len_pom_exposed(patient_ref: str) -> Exists:
    return Exists(LineDrug.objects.filter(line__patient=OuterRef(patient_ref), drug__name__in=LEN_POM))


def _patient_lines(lookup: str) -> Prefetch:
    """Lines with their drugs in two queries: what ``Patient.first_relapse_date`` and ``refractory_drugs`` read."""
    drugs = Prefetch("line_drugs", queryset=LineDrug.objects.select_related("drug"))
    return Prefetch(lookup, queryset=TreatmentLine.objects.order_by("line_number").prefetch_related(drugs))


def exposures(patient: Patient) -> tuple[DrugExposure, ...]:
    """Every CRBN-dependent drug the patient received, in the order of use, with IMWG refractoriness."""
    received = {name for facts in patient.line_facts for name in facts.drugs}
    refractory: Mapping[str, int] = patient.refractory_drugs
    return tuple(
        DrugExposure(name=name, abbreviation=DRUG_ABBREVIATIONS.get(name, name), refractory_line=refractory.get(name))
        for name in CRBN_DEPENDENT_DRUGS
        if name in received
    )
