"""From a sample's stored rows to the engine's input: the database side of the rules app's adapters.

The stored fact rows are turned back into the parsers' frozen facts (the models carry the same fields, as
variants.services stored them) and handed to the pure adapter, rules/adapters.py, so an assessment from the
database and ``manage.py crbn_assess`` on the same files apply one set of evidence rules. Only files whose
latest parse run succeeded count: what is "provided" and what is found then always agree. Added here: the
sample's own data (purity, build, assay, collection date), the baseline sample and the treatment lines.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, NamedTuple

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery

from patients.models import LineDrug, Sample, TreatmentLine
from variants import models as rows
from variants.models import ParseRun, VariantFile
from variants.parsers import facts as parsed
from variants.parsers.facts import ParseResult

from .adapters import AdaptedSample, adapt_parse_results
from .engine import AssessmentInput, TreatmentLineFact

# ParseResult list -> (the model its rows are stored in, the parser fact they came from).
ROW_KINDS: dict[str, tuple[type[models.Model], type]] = {
    "small_variants": (rows.SmallVariant, parsed.SmallVariant),
    "segments": (rows.CopyNumberSegment, parsed.CopyNumberSegment),
    "structural_variants": (rows.StructuralVariant, parsed.StructuralVariant),
    "junctions": (rows.SpliceJunction, parsed.JunctionCount),
    "expression": (rows.Expression, parsed.Expression),
    "fusions": (rows.Fusion, parsed.Fusion),
}
LINE_COLUMNS = ("line_number", "start_date", "end_date", "best_response", "progression_date")  # StoredLine's order
FIELD_NAMES = {fact_type: tuple(item.name for item in fields(fact_type)) for _, fact_type in ROW_KINDS.values()}


def assessment_input(sample: Sample) -> tuple[AssessmentInput, tuple[str, ...]]:
    """The engine's input for one sample (its facts, its baseline's, the patient's lines), and the adapter's
    warnings about the sample's evidence (not assessed, reported twice, unannotated, fusions not weighed)."""
    return stored_facts([sample]).assessment_input(sample)


class StoredFile(NamedTuple):
    """What a ParseResult needs of a parsed file."""

    pk: int
    kind: str
    dialect: str


class StoredLine(NamedTuple):
    """A treatment line's stored values, and its drugs as (name, the drug's own last dose or None)."""

    number: int
    start: date
    end: date | None
    best_response: str
    progression: date | None
    drugs: list[tuple[str, date | None]]


@dataclass(frozen=True)
class StoredFacts:
    """What the adapter reads for a set of samples, read with a fixed number of queries however many samples
    there are (a re-assessment reads a chunk of samples at a time). The rows are turned into facts one sample at
    a time, in ``assessment_input``, so a sample whose facts break an invariant fails alone."""

    files: Mapping[int, list[StoredFile]]  # sample id -> its parsed files, newest first
    rows: Mapping[int, Mapping[str, list[tuple[Any, ...]]]]  # file id -> ParseResult list -> rows in file order
    baselines: Mapping[int, Sample]  # patient id -> the latest baseline sample with parsed files
    lines: Mapping[int, list[StoredLine]]  # patient id -> treatment lines by number

    def assessment_input(self, sample: Sample) -> tuple[AssessmentInput, tuple[str, ...]]:
        adapted = self.adapted_sample(sample)
        baseline = None if sample.timepoint == Sample.Timepoint.BASELINE else self.baselines.get(sample.patient_id)
        data = AssessmentInput(
            sample=adapted.facts,
            baseline=self.adapted_sample(baseline).facts if baseline is not None else None,
            lines=tuple(treatment_line(line) for line in self.lines.get(sample.patient_id, ())),
        )
        return data, adapted.warnings

    def adapted_sample(self, sample: Sample) -> AdaptedSample:
        results = self.parse_results(sample)
        adapted = adapt_parse_results(
            results, build=sample.genome_build, purity=purity(sample), assay=sample.assay, name=sample.accession
        )
        # The collection date places the sample in the treatment history (at first progression or later).
        return replace(adapted, facts=replace(adapted.facts, collected=sample.collection_date))

    def parse_results(self, sample: Sample) -> list[ParseResult]:
        """One ParseResult per parsed file, rebuilt from its stored rows."""
        results = []
        for item in self.files.get(sample.pk, ()):
            result = ParseResult(kind=item.kind, dialect=item.dialect, build=sample.genome_build)
            for attribute, (_, fact_type) in ROW_KINDS.items():
                rows = self.rows.get(item.pk, {}).get(attribute, ())
                getattr(result, attribute).extend(parser_fact(fact_type, row) for row in rows)
            results.append(result)
        return results


def stored_facts(samples: Sequence[Sample]) -> StoredFacts:
    """The stored facts of these samples and of their patients' baselines, and the patients' treatment lines:
    two queries for the baselines, one for the files, one per row table and two for the lines."""
    patients = {item.patient_id for item in samples}
    baselines = latest_baselines(patients)
    measured = {item.pk for item in samples} | {item.pk for item in baselines.values()}
    files = files_by_sample(measured)
    return StoredFacts(
        files=files,
        rows=rows_by_file([item.pk for items in files.values() for item in items]),
        baselines=baselines,
        lines=lines_by_patient(patients),
    )


def _parsed(files: QuerySet[VariantFile]) -> QuerySet[VariantFile]:
    """Files whose latest parse run succeeded (an earlier success does not count once a re-parse failed)."""
    latest = ParseRun.objects.filter(file=OuterRef("pk")).order_by("-created_at", "-id").values("status")[:1]
    return files.annotate(latest_status=Subquery(latest)).filter(latest_status=ParseRun.Status.SUCCEEDED)


def parsed_files(sample: Sample) -> QuerySet[VariantFile]:
    """The sample's parsed files, newest first: where two files report the same fact, the newer one's is kept."""
    return _parsed(VariantFile.objects.filter(sample=sample)).order_by("-created_at", "-id")


def files_by_sample(sample_ids: Iterable[int]) -> dict[int, list[StoredFile]]:
    """parsed_files for many samples in one query, in the same order per sample."""
    files: dict[int, list[StoredFile]] = defaultdict(list)
    chosen = _parsed(VariantFile.objects.filter(sample_id__in=list(sample_ids)))
    chosen = chosen.order_by("sample_id", "-created_at", "-id")
    for sample_id, *values in chosen.values_list("sample_id", "pk", "kind", "dialect"):
        files[sample_id].append(StoredFile(*values))
    return files


def rows_by_file(file_ids: list[int]) -> dict[int, dict[str, list[tuple[Any, ...]]]]:
    """Every stored fact row of these files, one query per row table, in file order (line, then id). Each row is
    the values of its parser fact's fields, not a model: a re-assessment reads some 200,000 rows, and building
    their models took a tenth of its time."""
    rows: dict[int, dict[str, list[tuple[Any, ...]]]] = defaultdict(lambda: defaultdict(list))
    for attribute, (model, fact_type) in ROW_KINDS.items():
        chosen = model.objects.filter(source_file_id__in=file_ids).order_by("source_file_id", "line", "pk")
        for file_id, *values in chosen.values_list("source_file_id", *stored_columns(fact_type)):
            rows[file_id][attribute].append(tuple(values))
    return rows


def samples_with_facts() -> list[int]:
    """Ids of every sample with at least one parsed file: what a new release must assess again."""
    return sorted(set(_parsed(VariantFile.objects.all()).values_list("sample_id", flat=True)))


def baseline_sample(sample: Sample) -> Sample | None:
    """The patient's latest baseline sample with parsed files, unless the assessed sample is itself one.
    Acquired status needs a baseline that was measured: one without files would say nothing."""
    if sample.timepoint == Sample.Timepoint.BASELINE:
        return None
    return latest_baselines([sample.patient_id]).get(sample.patient_id)


def latest_baselines(patient_ids: Iterable[int]) -> dict[int, Sample]:
    """Each patient's latest baseline sample (by collection date, then id) that has parsed files."""
    baselines = Sample.objects.filter(patient_id__in=list(patient_ids), timepoint=Sample.Timepoint.BASELINE)
    candidates = list(baselines.order_by("-collection_date", "-id"))
    parsed = _parsed(VariantFile.objects.filter(sample_id__in=[item.pk for item in candidates]))
    measured = set(parsed.values_list("sample_id", flat=True))
    latest: dict[int, Sample] = {}
    for candidate in candidates:
        if candidate.pk in measured:
            latest.setdefault(candidate.patient_id, candidate)
    return latest


def stored_columns(fact_type: type) -> list[str]:
    """The columns a parser fact's fields are stored in: the same names, except a fusion's first partner, which
    is stored as its gene (variants.services._row)."""
    return ["gene" if item.name == "gene1" else item.name for item in fields(fact_type)]


def parser_fact(fact_type: type, values: Sequence[Any]) -> Any:
    """The parser fact a row was stored from, given the row's values of stored_columns(fact_type)."""
    return fact_type(**dict(zip(FIELD_NAMES[fact_type], values, strict=True)))


def purity(sample: Sample) -> float | None:
    """Plasma-cell purity is stored as 0-100 %; the engine wants a fraction. 0 means not measured: a sample
    without tumour cells is not sequenced, and a purity of 0 would make every cancer-cell fraction infinite."""
    if not sample.purity_pct:
        return None
    return float(sample.purity_pct) / 100


def lines_by_patient(patient_ids: Iterable[int]) -> dict[int, list[StoredLine]]:
    """The patients' treatment lines by line number, with their drugs: two queries for any number of patients,
    values only (a re-assessment reads every patient's lines, and models with a prefetch took seven times as long)."""
    ids = list(patient_ids)
    drugs: dict[int, list[tuple[str, date | None]]] = defaultdict(list)
    for line_id, name, last_dose in LineDrug.objects.filter(line__patient_id__in=ids).values_list(
        "line_id", "drug__name", "last_dose_date"
    ):
        drugs[line_id].append((name, last_dose))
    lines: dict[int, list[StoredLine]] = defaultdict(list)
    chosen = TreatmentLine.objects.filter(patient_id__in=ids).order_by("patient_id", "line_number")
    for pk, patient_id, *values in chosen.values_list("pk", "patient_id", *LINE_COLUMNS):
        lines[patient_id].append(StoredLine(*values, drugs=drugs[pk]))
    return lines


def treatment_line(line: StoredLine) -> TreatmentLineFact:
    """IMWG refractoriness is per drug, so a drug stopped before the line's end carries its own last dose."""
    last_doses: list[tuple[str, date]] = sorted((name, day) for name, day in line.drugs if day)
    return TreatmentLineFact(
        line=line.number,
        drugs=tuple(sorted(name for name, _ in line.drugs)),
        start=line.start,
        end=line.end,
        best_response=line.best_response or None,
        progression=line.progression,
        drug_last_doses=tuple(last_doses),
    )
