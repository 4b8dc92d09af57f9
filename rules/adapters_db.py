"""From a sample's stored rows to the engine's input: the database side of the rules app's adapters.

The stored fact rows are turned back into the parsers' frozen facts (the models carry the same fields, as
variants.services stored them) and handed to the pure adapter, rules/adapters.py, so an assessment from the
database and ``manage.py crbn_assess`` on the same files apply one set of evidence rules. Only files whose
latest parse run succeeded count: what is "provided" and what is found then always agree. Added here: the
sample's own data (purity, build, assay, collection date), the baseline sample and the treatment lines.
"""

from dataclasses import fields, replace
from datetime import date
from typing import Any

from django.db import models
from django.db.models import OuterRef, QuerySet, Subquery

from patients.models import Patient, Sample, TreatmentLine
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


def assessment_input(sample: Sample) -> tuple[AssessmentInput, tuple[str, ...]]:
    """The engine's input for one sample (its facts, its baseline's, the patient's lines), and the adapter's
    warnings about the sample's evidence (not assessed, reported twice, unannotated, fusions not weighed)."""
    adapted = adapted_sample(sample)
    baseline = baseline_sample(sample)
    data = AssessmentInput(
        sample=adapted.facts,
        baseline=adapted_sample(baseline).facts if baseline is not None else None,
        lines=treatment_lines(sample.patient),
    )
    return data, adapted.warnings


def _parsed(files: QuerySet[VariantFile]) -> QuerySet[VariantFile]:
    """Files whose latest parse run succeeded (an earlier success does not count once a re-parse failed)."""
    latest = ParseRun.objects.filter(file=OuterRef("pk")).order_by("-created_at", "-id").values("status")[:1]
    return files.annotate(latest_status=Subquery(latest)).filter(latest_status=ParseRun.Status.SUCCEEDED)


def parsed_files(sample: Sample) -> QuerySet[VariantFile]:
    """The sample's parsed files, newest first: where two files report the same fact, the newer one's is kept."""
    return _parsed(VariantFile.objects.filter(sample=sample)).order_by("-created_at", "-id")


def samples_with_facts() -> list[int]:
    """Ids of every sample with at least one parsed file: what a new release must assess again."""
    return sorted(set(_parsed(VariantFile.objects.all()).values_list("sample_id", flat=True)))


def baseline_sample(sample: Sample) -> Sample | None:
    """The patient's latest baseline sample with parsed files, unless the assessed sample is itself one.
    Acquired status needs a baseline that was measured: one without files would say nothing."""
    if sample.timepoint == Sample.Timepoint.BASELINE:
        return None
    candidates = Sample.objects.filter(patient_id=sample.patient_id, timepoint=Sample.Timepoint.BASELINE)
    for candidate in candidates.order_by("-collection_date", "-id"):
        if parsed_files(candidate).exists():
            return candidate
    return None


def adapted_sample(sample: Sample) -> AdaptedSample:
    results = parse_results(sample)
    adapted = adapt_parse_results(
        results, build=sample.genome_build, purity=purity(sample), assay=sample.assay, name=sample.accession
    )
    # The collection date places the sample in the treatment history (at first progression or later).
    return replace(adapted, facts=replace(adapted.facts, collected=sample.collection_date))


def parse_results(sample: Sample) -> list[ParseResult]:
    """One ParseResult per parsed file, rebuilt from its stored rows (one query per row table)."""
    files = list(parsed_files(sample))
    results = {item.pk: ParseResult(kind=item.kind, dialect=item.dialect, build=sample.genome_build) for item in files}
    for attribute, (model, fact_type) in ROW_KINDS.items():
        for row in model.objects.filter(source_file_id__in=results).order_by("source_file_id", "line", "pk"):
            getattr(results[row.source_file_id], attribute).append(parser_fact(fact_type, row))
    return [results[item.pk] for item in files]


def parser_fact(fact_type: type, row: models.Model) -> Any:
    """The parser fact a row was stored from: the same field names, except a fusion's first partner, which is
    stored as its gene (variants.services._row)."""
    values = {item.name: getattr(row, "gene" if item.name == "gene1" else item.name) for item in fields(fact_type)}
    return fact_type(**values)


def purity(sample: Sample) -> float | None:
    """Plasma-cell purity is stored as 0-100 %; the engine wants a fraction. 0 means not measured: a sample
    without tumour cells is not sequenced, and a purity of 0 would make every cancer-cell fraction infinite."""
    if not sample.purity_pct:
        return None
    return float(sample.purity_pct) / 100


def treatment_lines(patient: Patient) -> tuple[TreatmentLineFact, ...]:
    lines = TreatmentLine.objects.filter(patient=patient).prefetch_related("line_drugs__drug").order_by("line_number")
    return tuple(treatment_line(line) for line in lines)


def treatment_line(line: TreatmentLine) -> TreatmentLineFact:
    """IMWG refractoriness is per drug, so a drug stopped before the line's end carries its own last dose."""
    given = list(line.line_drugs.all())
    last_doses: list[tuple[str, date]] = sorted(
        (item.drug.name, item.last_dose_date) for item in given if item.last_dose_date
    )
    return TreatmentLineFact(
        line=line.line_number,
        drugs=tuple(sorted(item.drug.name for item in given)),
        start=line.start_date,
        end=line.end_date,
        best_response=line.best_response or None,
        progression=line.progression_date,
        drug_last_doses=tuple(last_doses),
    )
