"""Reads for the clinician's worklist. Every query starts from the permission chokepoint, ``visible_to(user)``.

The worklist is a list of sections, each a prompt to act with its own query, table and empty state. The first two
carry the programme of domain/CRBN.md section 1: test CRBN at the first progression of Len/Pom-exposed patients.
The third follows the results to a signed report: relapse samples with a result and no report, and reports being
drafted, reviewed or returned. A section is one builder in ``SECTION_BUILDERS`` and one table template; the page,
the filters, the pagination and the audit are shared.

Whether a row belongs on the list, and its status, are decided in SQL so that filters, counts and pagination agree;
one query reads a section's page of 25 rows with the section's total, and the rows are then completed (treatment
lines, error texts, links) with a fixed number of prefetch queries, however many rows the section holds.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from patients.models import Institution, LineDrug, Patient, Sample, TreatmentLine
from patients.selectors import CRBN_DEPENDENT_DRUGS, DRUG_ABBREVIATIONS
from rules.models import Assessment, JobStatus
from rules.templatetags.rules_labels import CALL_LABELS
from variants.models import ParseRun, VariantFile
from variants.selectors import with_current_runs

from .forms import WorklistFilterForm
from .models import OPEN_STATUSES, Report
from .status import NEXT_STEPS, REVIEW_NEXT_STEPS, REVIEW_STATUS_OF_REPORT, ReviewStatus, WorklistStatus

PAGE_SIZE = 25
# The programme's entry criterion (CRBN.md section 1): exposure to either drug, in any line.
LEN_POM = ("lenalidomide", "pomalidomide")
# A result on these awaits a report; a baseline sample's result is context for a relapse report, not reported alone.
RELAPSE_TIMEPOINTS = (Sample.Timepoint.FIRST_RELAPSE, Sample.Timepoint.LATER_RELAPSE)


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
    patient_url: str
    sample_url: str
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
    patient_url: str
    first_relapse_date: date
    exposures: tuple[DrugExposure, ...]
    days_since_first_relapse: int
    status: WorklistStatus = WorklistStatus.NO_SAMPLE

    @property
    def next_step(self) -> str:
        return NEXT_STEPS[self.status]


@dataclass(frozen=True)
class DrugCall:
    """The engine's verdict for one drug, as the worklist abbreviates it: "Len: resistance likely"."""

    name: str
    abbreviation: str
    call: str

    @property
    def label(self) -> str:
        return CALL_LABELS.get(self.call, self.call.replace("_", " ")).lower()

    def __str__(self) -> str:
        return f"{self.abbreviation}: {self.label}"


@dataclass(frozen=True)
class ReviewRow:
    """A relapse sample whose result is on its way to a signed report: no report yet, or a version being worked on."""

    patient: Patient
    sample: Sample
    report: Report | None  # the open version; None while the result awaits a report
    patient_url: str
    sample_url: str
    report_url: str  # the open version's page, or the sample's reports page while it has none
    verdict: tuple[DrugCall, ...]  # of the assessment the report states, or of the latest one without a report
    author: str
    last_change: datetime | None  # the report's, or the result's time without a report
    last_change_by: str
    days_waiting: int | None
    status: ReviewStatus
    detail: str  # the reviewer's comment on a returned report

    @property
    def next_step(self) -> str:
        return REVIEW_NEXT_STEPS[self.status]


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
    row_noun: str = "patient"  # what one row is, for "Showing 1-25 of 40 patients"

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


def reports_awaiting_review_section(*, user: Any, filters: Filters, params: QueryDict, today: date) -> WorklistSection:
    samples = reports_awaiting_review(user=user)
    if filters.institution is not None:
        samples = samples.filter(institution=filters.institution)
    if filters.status:
        samples = samples.filter(review_status=filters.status)
    if not filters.valid:
        samples = samples.none()
    return _section(
        key="review",
        title="Reports awaiting review",
        summary=(
            "Relapse samples with a CRBN result that is not yet in a signed report: results awaiting a report, "
            "and reports in draft, in review or returned. Longest waiting first, counted from the first result "
            "(from the amendment's start for a signed report being amended)."
        ),
        empty_text=(
            "A sample appears here when a relapse sample's assessment has completed and no report states it yet, "
            "or while a version of its report is in draft, in review or returned; it leaves when that version is "
            "signed."
        ),
        table_template="reports/_review_table.html",
        items=samples,
        to_rows=lambda page: _review_rows(user=user, samples=page, today=today),
        params=params,
        row_noun="sample",
    )


# The page shows the sections in this order. Add a builder here (and its table template) to add a section.
SECTION_BUILDERS: tuple[SectionBuilder, ...] = (
    untested_first_relapse_section,
    unsampled_first_progression_section,
    reports_awaiting_review_section,
)


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
    row_noun: str = "patient",
) -> WorklistSection:
    page_param = f"{key}_page"
    page = _page(items, params.get(page_param))
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
        row_noun=row_noun,
    )


def _page(items: QuerySet[Any], requested: str | None) -> Page:
    """``Paginator.get_page`` in one query where it would run two: the page's rows carry the length of the whole
    list (a window count, computed before LIMIT). A number past the end, or below 1, takes the Paginator's own way
    to the last page."""
    paginator = Paginator(items, PAGE_SIZE)
    try:
        number = int(requested or 1)
    except ValueError:
        number = 1  # as get_page: a page that is not a number shows the first
    offset = (number - 1) * PAGE_SIZE
    rows = list(items.annotate(list_length=Window(Count("pk")))[offset : offset + PAGE_SIZE]) if number > 0 else []
    if not rows and number != 1:
        return paginator.get_page(requested)
    paginator.count = rows[0].list_length if rows else 0  # what the Paginator would have counted
    return Page(rows, number, paginator)


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
    patient_url, sample_url = UuidUrls("patients:detail"), UuidUrls("variants:sample")
    rows = []
    for sample in samples:
        status = WorklistStatus(sample.worklist_status)
        patient = sample.patient
        rows.append(
            UntestedRow(
                patient=patient,
                sample=sample,
                patient_url=patient_url(patient.uuid),
                sample_url=sample_url(sample.uuid),
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
    patient_url = UuidUrls("patients:detail")
    rows = []
    for patient in patients:
        relapse = patient.first_relapse_date
        assert relapse is not None  # the query keeps only patients with a recorded progression
        rows.append(
            UnsampledRow(
                patient=patient,
                patient_url=patient_url(patient.uuid),
                first_relapse_date=relapse,
                exposures=exposures(patient),
                days_since_first_relapse=(today - relapse).days,
            )
        )
    return rows


# ---- section 3: results on their way to a signed report -------------------------------------------------------


def reports_awaiting_review(*, user: Any) -> QuerySet[Sample]:
    """Samples with an open report version (draft, in review, returned: one at most, a database constraint), and
    relapse samples with a completed assessment and no report at all; annotated with ``review_status`` and
    ``waiting_since``, longest waiting first.

    The wait runs from the sample's first result, since that is when a report became possible; an amendment's
    from when it was started, since the signed version before it answered the result until then.
    """
    open_report = Report.objects.filter(sample=OuterRef("pk"), status__in=OPEN_STATUSES)
    done = Assessment.objects.filter(sample=OuterRef("pk"), status=JobStatus.DONE).annotate(
        result_at=Coalesce("finished_at", "created_at")
    )
    awaiting_report = (
        Q(timepoint__in=RELAPSE_TIMEPOINTS) & Q(Exists(done)) & ~Q(Exists(Report.objects.filter(sample=OuterRef("pk"))))
    )
    return (
        Sample.objects.visible_to(user)
        .filter(Q(Exists(open_report)) | awaiting_report)
        .annotate(
            open_report_status=Subquery(open_report.values("status")[:1]),
            waiting_since=Coalesce(
                Subquery(open_report.filter(version__gt=1).values("created_at")[:1]),
                Subquery(done.order_by("result_at", "id").values("result_at")[:1]),
                output_field=DateTimeField(),
            ),
        )
        .annotate(review_status=_review_status())
        .select_related("patient__institution", "institution")
        .order_by("waiting_since", "collection_date", "id")
    )


def _review_status() -> Case:
    whens = [When(open_report_status=report, then=Value(review)) for report, review in REVIEW_STATUS_OF_REPORT.items()]
    return Case(*whens, default=Value(ReviewStatus.AWAITING_REPORT), output_field=CharField())


def _review_rows(*, user: Any, samples: Sequence[Sample], today: date) -> list[ReviewRow]:
    """Two queries for a page, whatever it holds: the open versions with their people and assessments, and the
    latest completed assessment's calls of the samples without a report."""
    reports = _open_reports(user=user, samples=samples)
    calls = _latest_calls(user=user, sample_ids=[sample.pk for sample in samples if sample.pk not in reports])
    urls = ReviewUrls()
    return [_review_row(sample, reports.get(sample.pk), calls.get(sample.pk, {}), today, urls) for sample in samples]


@dataclass(frozen=True)
class ReviewUrls:
    """The pages a review row links to."""

    patient: "UuidUrls" = field(default_factory=lambda: UuidUrls("patients:detail"))
    sample: "UuidUrls" = field(default_factory=lambda: UuidUrls("variants:sample"))
    report: "UuidUrls" = field(default_factory=lambda: UuidUrls("report:detail"))
    sample_reports: "UuidUrls" = field(default_factory=lambda: UuidUrls("report:sample"))


def _review_row(
    sample: Sample, report: Report | None, calls: Mapping[str, str], today: date, urls: ReviewUrls
) -> ReviewRow:
    waiting_since = sample.waiting_since  # annotated by reports_awaiting_review
    return ReviewRow(
        patient=sample.patient,
        sample=sample,
        report=report,
        patient_url=urls.patient(sample.patient.uuid),
        sample_url=urls.sample(sample.uuid),
        report_url=urls.report(report.uuid) if report else urls.sample_reports(sample.uuid),
        verdict=verdict(report.assessment.calls if report else calls),
        author=_person(report.created_by) if report else "",
        last_change=report.updated_at if report else waiting_since,
        last_change_by=_person(report.changed_by) if report else "",
        days_waiting=(today - timezone.localdate(waiting_since)).days if waiting_since else None,
        status=ReviewStatus(sample.review_status),
        detail=report.return_comment if report and report.status == Report.Status.RETURNED else "",
    )


def _open_reports(*, user: Any, samples: Sequence[Sample]) -> dict[int, Report]:
    reports = (
        Report.objects.visible_to(user)
        .filter(sample__in=[sample.pk for sample in samples], status__in=OPEN_STATUSES)
        .select_related("created_by", "changed_by", "assessment")
        .defer("assessment__result", "assessment__warnings")
    )
    return {report.sample_id: report for report in reports}


def _latest_calls(*, user: Any, sample_ids: list[int]) -> dict[int, Mapping[str, str]]:
    if not sample_ids:
        return {}
    done = (
        Assessment.objects.visible_to(user)
        .filter(sample_id__in=sample_ids, status=JobStatus.DONE)
        .order_by("sample_id", "-created_at", "-id")
        .values_list("sample_id", "calls")
    )
    latest: dict[int, Mapping[str, str]] = {}
    for sample_id, calls in done:
        latest.setdefault(sample_id, calls)
    return latest


def verdict(calls: Mapping[str, str]) -> tuple[DrugCall, ...]:
    """The calls for lenalidomide and pomalidomide, the drugs the programme tests CRBN for (CRBN.md section 1)."""
    return tuple(
        DrugCall(name=name, abbreviation=DRUG_ABBREVIATIONS.get(name, name), call=calls[name])
        for name in LEN_POM
        if calls.get(name)
    )


def _person(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# ---- shared -----------------------------------------------------------------------------------------------------


class UuidUrls:
    """``reverse(name, args=[uuid])`` for every row of a page at the cost of one ``reverse()`` (about a third of a
    row's rendering time otherwise): the route is reversed once with a placeholder UUID, which each row's UUID then
    replaces. A UUID needs no quoting, so the result is what ``reverse()`` gives."""

    PLACEHOLDER = "00000000-0000-0000-0000-000000000000"

    def __init__(self, name: str) -> None:
        self.route = reverse(name, args=[self.PLACEHOLDER])

    def __call__(self, uuid: Any) -> str:
        return self.route.replace(self.PLACEHOLDER, str(uuid))


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
