"""Parser facts -> engine facts, and HISTORY.json -> treatment lines. Pure Python: no Django import.

``manage.py crbn_assess`` feeds whole ParseResults through ``adapt_parse_results``; the database adapter
(rules/adapters_db.py) can reuse the per-kind functions (``small_variant_fact``, ``copy_number_facts``, ...):
they only read the attributes the parser dataclasses share with the variant models' fields.

Evidence flags (SampleFacts.has_*: "this kind was measured for CRBN", even when nothing was found in it):

- dna_variants: any small-variant file (VCF, MAF). Parsers keep only the loci of interest, so a file without a
  CRBN record means the caller found no CRBN variant: assessed, nothing found. Whether the assay reached CRBN is
  a question of coverage, which the engine's QC asks (unknown coverage is a QC warning).
- copy_number: only a segment overlapping the CRBN gene body in the sample's build counts. A segment file that
  does not reach CRBN (a panel, another chromosome, a gap over 3p26) says nothing about CRBN: not assessed, with a
  warning. A copy number the parser estimated from a log2 ratio (diploid, pure tumour assumed) is passed as log2
  only, because the engine reads only absolute copy numbers; QC then calls copy number inadequate.
- structural_variants: any SV VCF, as for small variants (SV callers report the whole genome).
- rna_junctions: any junction file; the exon-10 junction reads are summed over all of them (None when there is no
  exon-10 junction read at all, which QC reports as such).
- expression: only a file with a CRBN row (one without CRBN did not measure it).
- fusions: never weighed. The engine has no fusion fact, and an RNA fusion caller cannot rule a rearrangement
  out, so marking SVs assessed from it would allow false negative calls. Each CRBN fusion becomes a warning.

The same fact reported by two files (two callers, two lanes of a segment file) is kept once: the first file's,
in the order given, with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any, TypeVar

from rules.engine import (
    CopyNumberFact,
    Exon10Fact,
    ExpressionFact,
    SampleFacts,
    Segment,
    SmallVariantFact,
    StructuralVariantFact,
    TreatmentLineFact,
)
from variants import crbn
from variants.parsers.copy_number import LOG2_SOURCE
from variants.parsers.facts import (
    CopyNumberSegment,
    Expression,
    Fusion,
    JunctionCount,
    ParseResult,
    SmallVariant,
    StructuralVariant,
)
from variants.parsers.junctions import exon10_counts

CRBN = "CRBN"
# An exonic CRBN variant the file does not annotate: its protein effect is unknown, so it is passed as
# protein-altering of unknown significance (every call at most uncertain), never as harmless.
UNANNOTATED_CONSEQUENCE = "protein_altering_variant"
HISTORY_KEYS = ("line", "drugs", "start", "end", "best_response", "progression", "drug_last_doses")
REQUIRED_HISTORY_KEYS = ("line", "drugs")
IMWG_RESPONSES = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD")  # Kumar, Lancet Oncol 2016 (CRBN.md section 5)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Fact = TypeVar("Fact")


@dataclass(frozen=True)
class AdaptedSample:
    """The engine's facts for one sample, and what the adapter had to say about the evidence."""

    facts: SampleFacts
    warnings: tuple[str, ...] = ()


# ---- small variants -------------------------------------------------------------------------------------------


def small_variant_fact(variant: SmallVariant) -> SmallVariantFact:
    """One engine fact per parsed variant (CRBN and the pathway genes; the engine only records the latter)."""
    transcript, hgvs_c = _numbering(variant)
    return SmallVariantFact(
        key=f"{variant.chrom}:{variant.pos}:{variant.ref}>{variant.alt}",
        gene=variant.gene,
        consequence=_consequence(variant),
        hgvs_c=hgvs_c,
        hgvs_p=variant.hgvs_p or None,
        protein_position=variant.protein_position,
        transcript=transcript,
        exon=variant.exon,
        pos=variant.pos,
        vaf=variant.vaf,
        depth=variant.depth,
        alt_count=variant.alt_count,
        filter=variant.filter,
        normal_alt_count=variant.normal_alt_count,
        germline_flag=variant.germline_flag,
    )


def _numbering(variant: SmallVariant) -> tuple[str | None, str | None]:
    """(transcript the protein position is numbered on, c. change). Parsers have already moved isoform-2 protein
    positions to canonical numbering but leave the isoform-2 transcript on the fact; passing it on would make the
    engine shift the position a second time. The c. change stays on isoform 2, so it keeps its transcript prefix
    and is never read as canonical c. numbering."""
    transcript, hgvs_c = variant.transcript or None, variant.hgvs_c or None
    if transcript and transcript.split(".")[0] in crbn.ISOFORM2_TRANSCRIPTS:
        return crbn.CANONICAL_TRANSCRIPT, f"{transcript}:{hgvs_c}" if hgvs_c else None
    return transcript, hgvs_c


def _consequence(variant: SmallVariant) -> str:
    if variant.needs_annotation and not variant.consequence:
        return UNANNOTATED_CONSEQUENCE
    return variant.consequence


def _unannotated_warnings(variants: Iterable[SmallVariant]) -> list[str]:
    return [
        f"CRBN variant {item.chrom}:{item.pos} {item.ref}>{item.alt} lies {_place(item)} but the file carries no "
        "annotation: treated as protein-altering of unknown significance; annotate the file (e.g. VEP) and re-run"
        for item in variants
        if item.needs_annotation and not item.consequence
    ]


def _place(variant: SmallVariant) -> str:
    """Parsers flag an unannotated CRBN variant in an exon, or else at a canonical splice site."""
    return f"in exon {variant.exon}" if variant.exon is not None else "at a canonical splice site"


# ---- copy number ----------------------------------------------------------------------------------------------


def overlaps_crbn(segment: CopyNumberSegment, build: str) -> bool:
    """Whether the segment overlaps the CRBN gene body of this build (parsers keep a padded span, and both
    builds' spans when they do not know the build)."""
    return segment.gene == CRBN and crbn.CRBN_GENE[build].overlaps(segment.chrom, segment.start, segment.end)


def copy_number_fact(segment: CopyNumberSegment) -> CopyNumberFact:
    """An absolute copy number as the caller wrote it; a log2-only estimate is passed as log2 alone."""
    estimated = segment.source == LOG2_SOURCE
    return CopyNumberFact(
        total_cn=None if estimated else segment.copy_number,
        major=segment.major_cn,
        minor=segment.minor_cn,
        log2=segment.log2_ratio,
        segment=Segment(segment.chrom, segment.start, segment.end),
    )


def copy_number_facts(segments: Iterable[CopyNumberSegment], build: str) -> list[CopyNumberFact]:
    return [copy_number_fact(item) for item in segments if overlaps_crbn(item, build)]


def _copy_number_warnings(provided: bool, facts: Sequence[CopyNumberFact], build: str) -> list[str]:
    span = crbn.CRBN_GENE[build]
    if provided and not facts:
        return [
            f"copy number: no segment overlaps CRBN ({build} chr{span.chrom}:{span.start}-{span.end}): CRBN copy "
            "number was not assessed"
        ]
    return [
        f"copy number: segment {item.key} has only a log2 ratio ({item.log2}); an absolute copy number is needed"
        for item in facts
        if item.total_cn is None
    ]


# ---- structural variants, junctions, expression, fusions ------------------------------------------------------


def structural_variant_fact(variant: StructuralVariant) -> StructuralVariantFact:
    """Intra-chromosomal events carry their other end as END; breakends carry their mate."""
    identifier = variant.sv_id if variant.sv_id not in ("", ".") else f"{variant.chrom}:{variant.pos}:{variant.svtype}"
    return StructuralVariantFact(
        key=identifier,
        svtype=variant.svtype,
        chrom=variant.chrom,
        pos=variant.pos,
        mate_chrom=variant.mate_chrom or None,
        mate_pos=variant.mate_pos if variant.mate_pos is not None else variant.end,
        filter=variant.filter,
    )


def exon10_fact(junctions: Iterable[JunctionCount], build: str) -> Exon10Fact | None:
    """Exon-10 skip and inclusion reads of this build's introns; None when no such read exists at all."""
    counts = exon10_counts(junctions, build)
    if not (counts.skip_reads or counts.inclusion_downstream_reads or counts.inclusion_upstream_reads):
        return None
    return Exon10Fact(
        skip=counts.skip_reads,
        inclusion_upstream=counts.inclusion_upstream_reads,
        inclusion_downstream=counts.inclusion_downstream_reads,
    )


def expression_fact(row: Expression) -> ExpressionFact:
    """The assay is the method and unit: a knowledge-base cut-off binds to one assay and never crosses to
    another (CRBN.md section 4), so no parser method matches a threshold by accident."""
    return ExpressionFact(value=row.value, unit=row.unit, assay=f"{row.method} {row.unit}")


def fusion_warning(fusion: Fusion) -> str:
    return (
        f"CRBN fusion {fusion.gene1}--{fusion.gene2} ({fusion.breakpoint1} / {fusion.breakpoint2}) reported by "
        f"{fusion.caller or 'a fusion caller'}: not weighed by the engine (no fusion rule); review it manually"
    )


# ---- one sample -----------------------------------------------------------------------------------------------


def sample_facts_from_parse_results(
    results: Sequence[ParseResult],
    *,
    build: str,
    purity: float | None,
    assay: str | None,
    coverage: int | None = None,
    name: str = "",
) -> SampleFacts:
    """The engine's facts for one sample from its files' parse results (see the module docstring for the flags)."""
    return adapt_parse_results(results, build=build, purity=purity, assay=assay, coverage=coverage, name=name).facts


def adapt_parse_results(
    results: Sequence[ParseResult],
    *,
    build: str,
    purity: float | None,
    assay: str | None,
    coverage: int | None = None,
    name: str = "",
) -> AdaptedSample:
    """As sample_facts_from_parse_results, with the adapter's warnings (evidence not assessed, duplicates)."""
    kinds = {result.kind for result in results}
    rows = _Rows(results)
    variants, variant_warnings = variant_evidence(rows.variants)
    copy_number, copy_number_warnings = copy_number_evidence(rows.segments, build, provided="copy_number" in kinds)
    svs, sv_warnings = _first_of_each([structural_variant_fact(item) for item in rows.svs], "structural variant")
    expression, expression_warnings = expression_evidence(rows.expression, provided="expression" in kinds)
    facts = SampleFacts(
        build=build,
        name=name,
        purity=purity,
        assay=assay,
        coverage=coverage,
        has_dna_variants="small_variants" in kinds,
        has_copy_number=bool(copy_number),
        has_sv="structural_variants" in kinds,
        has_rna_junctions="junctions" in kinds,
        has_expression=bool(expression),
        variants=variants,
        copy_number=copy_number,
        structural_variants=svs,
        exon10=exon10_fact(rows.junctions, build),
        expression=expression,
    )
    warnings = variant_warnings + copy_number_warnings + sv_warnings + expression_warnings
    return AdaptedSample(facts, tuple(warnings + [fusion_warning(item) for item in rows.fusions]))


def variant_evidence(variants: Sequence[SmallVariant]) -> tuple[tuple[SmallVariantFact, ...], list[str]]:
    facts, warnings = _first_of_each([small_variant_fact(item) for item in variants], "variant")
    return facts, warnings + _unannotated_warnings(variants)


def copy_number_evidence(
    segments: Iterable[CopyNumberSegment], build: str, *, provided: bool
) -> tuple[tuple[CopyNumberFact, ...], list[str]]:
    """CRBN segments of this build; ``provided`` says a copy-number file was given, so a silence is reported."""
    facts, warnings = _first_of_each(copy_number_facts(segments, build), "copy-number segment")
    return facts, warnings + _copy_number_warnings(provided, facts, build)


def expression_evidence(rows: Iterable[Expression], *, provided: bool) -> tuple[tuple[ExpressionFact, ...], list[str]]:
    facts, warnings = _first_of_each(
        [expression_fact(item) for item in rows if item.gene == CRBN], "expression assay", attrgetter("assay")
    )
    if provided and not facts:
        warnings.append("expression: no CRBN row in the expression file(s): CRBN expression was not assessed")
    return facts, warnings


class _Rows:
    """The rows of every result, concatenated per kind in the order the files were given."""

    def __init__(self, results: Sequence[ParseResult]) -> None:
        self.variants = [item for result in results for item in result.small_variants]
        self.segments = [item for result in results for item in result.segments]
        self.svs = [item for result in results for item in result.structural_variants if item.gene == CRBN]
        self.junctions = [item for result in results for item in result.junctions]
        self.expression = [item for result in results for item in result.expression]
        self.fusions = [item for result in results for item in result.fusions]


def _first_of_each(
    facts: list[Fact], what: str, key: Callable[[Fact], str] = attrgetter("key")
) -> tuple[tuple[Fact, ...], list[str]]:
    """Keep the first fact per key (the engine refuses a key listed twice) and say which were dropped."""
    kept: dict[str, Fact] = {}
    warnings = []
    for fact in facts:
        identifier = key(fact)
        if identifier in kept:
            warnings.append(f"{what} {identifier} is reported more than once: the first file's report is used")
        else:
            kept[identifier] = fact
    return tuple(kept.values()), warnings


# ---- treatment history ----------------------------------------------------------------------------------------


def treatment_lines_from_history(items: list[dict[str, Any]]) -> list[TreatmentLineFact]:
    """HISTORY.json (DESIGN.md, stable interfaces) as treatment lines. Required keys: ``line`` (a whole number from
    1) and ``drugs`` (lower-case generic names); optional: ``start``, ``end`` (the last dose; null while ongoing),
    ``best_response`` (IMWG: sCR, CR, VGPR, PR, MR, SD, PD), ``progression`` (dates as YYYY-MM-DD) and
    ``drug_last_doses`` ({drug: date} for drugs stopped before the line's end). ValueError names item and key."""
    if not isinstance(items, list):
        raise ValueError("the history must be a JSON list of treatment lines")
    lines = [_treatment_line(index, item) for index, item in enumerate(items)]
    numbers = [item.line for item in lines]
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    if repeated:
        raise ValueError(f"line {repeated[0]} is listed more than once")
    return lines


def _treatment_line(index: int, item: object) -> TreatmentLineFact:
    if not isinstance(item, dict):
        raise ValueError(f"item {index}: expected an object with keys {', '.join(HISTORY_KEYS)}")
    _check_keys(index, item)
    drugs = _drugs(index, item["drugs"])
    line = TreatmentLineFact(
        line=_line_number(index, item["line"]),
        drugs=drugs,
        start=_date(index, "start", item.get("start")),
        end=_date(index, "end", item.get("end")),
        best_response=_response(index, item.get("best_response")),
        progression=_date(index, "progression", item.get("progression")),
        drug_last_doses=_last_doses(index, item.get("drug_last_doses"), drugs),
    )
    _check_order(index, line)
    return line


def _check_keys(index: int, item: dict[str, Any]) -> None:
    unknown = sorted(str(key) for key in set(item) - set(HISTORY_KEYS))
    if unknown:
        raise ValueError(f"item {index}: unknown key {unknown[0]!r}; allowed keys: {', '.join(HISTORY_KEYS)}")
    missing = [key for key in REQUIRED_HISTORY_KEYS if key not in item]
    if missing:
        raise ValueError(f"item {index}: key {missing[0]!r} is missing")


def _line_number(index: int, value: object) -> int:
    # bool is an int subclass: JSON true is not a line number.
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"item {index}, key 'line': expected a whole number from 1, got {value!r}")
    return value


def _drugs(index: int, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"item {index}, key 'drugs': expected a non-empty list of drug names, got {value!r}")
    return tuple(_drug_name(index, "drugs", drug) for drug in value)


def _drug_name(index: int, key: str, drug: object) -> str:
    """Lower-case generic names, as the knowledge base spells them; anything else is refused, not guessed."""
    if not isinstance(drug, str) or not drug.strip() or drug != drug.strip().lower():
        raise ValueError(f"item {index}, key {key!r}: drug names must be lower-case generic names, got {drug!r}")
    return drug


def _date(index: int, key: str, value: object, *, required: bool = False) -> date | None:
    """YYYY-MM-DD only: date.fromisoformat alone would also take week dates and 20210201."""
    if value is None and not required:
        return None
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass  # 2021-02-30: refused below with the same message
    expected = "an ISO date YYYY-MM-DD" if required else "an ISO date YYYY-MM-DD or null"
    raise ValueError(f"item {index}, key {key!r}: expected {expected}, got {value!r}")


def _response(index: int, value: object) -> str | None:
    if value is None or (isinstance(value, str) and value in IMWG_RESPONSES):
        return value
    expected = ", ".join(IMWG_RESPONSES)
    raise ValueError(f"item {index}, key 'best_response': expected one of {expected} or null, got {value!r}")


def _last_doses(index: int, value: object, drugs: tuple[str, ...]) -> tuple[tuple[str, date], ...]:
    """Drugs of this line stopped before its end (IMWG refractoriness is per drug)."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ValueError(f"item {index}, key 'drug_last_doses': expected an object of drug: date, got {value!r}")
    doses = []
    for drug, day in sorted(value.items()):
        if _drug_name(index, "drug_last_doses", drug) not in drugs:
            raise ValueError(f"item {index}, key 'drug_last_doses': {drug!r} is not one of the line's drugs")
        doses.append((drug, _date(index, "drug_last_doses", day, required=True)))
    return tuple((drug, day) for drug, day in doses if day is not None)


def _check_order(index: int, line: TreatmentLineFact) -> None:
    """A line cannot end, or progress, before it started."""
    for key, day in (("end", line.end), ("progression", line.progression)):
        if line.start is not None and day is not None and day < line.start:
            start = line.start.isoformat()
            raise ValueError(f"item {index}, key {key!r}: {day.isoformat()} is before the start {start}")
