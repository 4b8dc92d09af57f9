"""The engine's input: frozen facts about one sample (and its baseline) and the patient's treatment lines.

These are the engine's own types, independent of the parsers' output (variants/parsers/facts.py): the rules
app's adapter turns stored rows into them. Facts validate their own invariants on construction (ValueError),
so an adapter bug surfaces where it happens, not as a wrong call.

Conventions: coordinates are 1-based; chromosomes may carry "chr"; protein positions are numbered on
``transcript`` (the engine normalises isoform-2 and mouse numbering to NP_057386.2, so an adapter that has
already converted a position must pass the canonical transcript, or None, with it); dates are datetime.date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

EVIDENCE_KINDS = ("dna_variants", "copy_number", "structural_variants", "rna_junctions", "expression")
PASSING_FILTERS = frozenset({"PASS", "."})


def normalise_chrom(chrom: str) -> str:
    """'chr3', 'Chr3' and '3' are the same contig."""
    return chrom[3:] if chrom.lower().startswith("chr") else chrom


def _fraction(value: float | None, name: str) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in 0-1, got {value}")


def _unique(keys: list[str], what: str) -> None:
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"{what} listed twice: {', '.join(duplicates)}")


@dataclass(frozen=True)
class SmallVariantFact:
    """A SNV or indel. ``key`` identifies it across samples of one build, e.g. "3:3152500:C>T"."""

    key: str
    gene: str
    consequence: str  # Sequence Ontology term(s), "&"- or ","-joined as VEP writes them
    hgvs_c: str | None = None
    hgvs_p: str | None = None
    protein_position: int | None = None  # numbered on ``transcript`` (or in mouse numbering, see ``numbering``)
    transcript: str | None = None
    numbering: str = "human"  # "mouse" when the protein position comes from mouse-numbered literature
    exon: int | None = None  # exon or intron number on the transcript, for splice-site variants
    pos: int | None = None  # genomic position, to find the copy-number segment it sits in
    vaf: float | None = None
    depth: int | None = None
    alt_count: int | None = None
    filter: str = "PASS"
    normal_alt_count: int | None = None
    germline_flag: bool = False

    def __post_init__(self) -> None:
        _fraction(self.vaf, f"variant {self.key} vaf")
        if self.numbering not in ("human", "mouse"):
            raise ValueError(f"variant {self.key} numbering must be 'human' or 'mouse', got {self.numbering!r}")

    @property
    def consequences(self) -> tuple[str, ...]:
        terms = self.consequence.replace(",", "&").split("&")
        return tuple(sorted({term.strip() for term in terms if term.strip()}))

    @property
    def passed(self) -> bool:
        return self.filter in PASSING_FILTERS


@dataclass(frozen=True)
class Segment:
    chrom: str
    start: int
    end: int

    def contains(self, position: int) -> bool:
        return self.start <= position <= self.end

    @property
    def label(self) -> str:
        return f"{normalise_chrom(self.chrom)}:{self.start}-{self.end}"


@dataclass(frozen=True)
class CopyNumberFact:
    """Absolute copy number over (part of) CRBN. ``total_cn`` is the tumour's, already purity-adjusted by the
    caller; a log2 ratio alone cannot be read as an absolute state and is not interpreted. Segments are keyed by
    location, so a sample holds at most one fact without a segment."""

    total_cn: float | None
    major: int | None = None
    minor: int | None = None
    ploidy: float | None = None  # the sample's ploidy where the caller estimates it
    log2: float | None = None
    segment: Segment | None = None

    @property
    def key(self) -> str:
        return self.segment.label if self.segment else "CRBN"


@dataclass(frozen=True)
class StructuralVariantFact:
    """A structural variant; for intra-chromosomal events ``mate_pos`` is the other end (END)."""

    key: str
    svtype: str
    chrom: str
    pos: int
    mate_chrom: str | None = None
    mate_pos: int | None = None
    filter: str = "PASS"

    @property
    def breakpoints(self) -> tuple[tuple[str, int], ...]:
        first = (normalise_chrom(self.chrom), self.pos)
        if self.mate_pos is None:
            return (first,)
        return first, (normalise_chrom(self.mate_chrom or self.chrom), self.mate_pos)

    @property
    def passed(self) -> bool:
        return self.filter in PASSING_FILTERS


@dataclass(frozen=True)
class Exon10Fact:
    """Exon-10 junction read counts (variants/crbn.py EXON10_JUNCTIONS names the introns)."""

    skip: int  # exon 11 -> exon 9
    inclusion_upstream: int  # exon 10 -> exon 9
    inclusion_downstream: int  # exon 11 -> exon 10

    def __post_init__(self) -> None:
        if min(self.skip, self.inclusion_upstream, self.inclusion_downstream) < 0:
            raise ValueError("junction read counts cannot be negative")

    @property
    def depth(self) -> Fraction:
        """Skip reads + the mean of the two inclusion junctions' reads (CRBN.md section 4)."""
        return self.skip + Fraction(self.inclusion_upstream + self.inclusion_downstream, 2)

    @property
    def skip_fraction(self) -> Fraction | None:
        """skip / (skip + mean inclusion), exact, so a threshold comparison has no rounding error."""
        return Fraction(self.skip) / self.depth if self.depth else None


@dataclass(frozen=True)
class ExpressionFact:
    """A CRBN expression value; ``assay`` must name the method a knowledge-base threshold is bound to."""

    value: float
    unit: str
    assay: str


@dataclass(frozen=True)
class SampleFacts:
    """One sample: what was measured (``has_*``: an evidence kind provided, even if nothing was found in it)
    and the CRBN evidence found. Evidence given without its ``has_*`` flag is a contradiction and refused."""

    build: str
    name: str = ""
    purity: float | None = None  # plasma-cell purity, 0-1 (exclusive of 0)
    assay: str | None = None
    collected: date | None = None
    coverage: float | None = None  # DNA depth over CRBN
    has_dna_variants: bool = False
    has_copy_number: bool = False
    has_sv: bool = False
    has_rna_junctions: bool = False
    has_expression: bool = False
    variants: tuple[SmallVariantFact, ...] = ()
    copy_number: tuple[CopyNumberFact, ...] = ()
    structural_variants: tuple[StructuralVariantFact, ...] = ()
    exon10: Exon10Fact | None = None
    expression: tuple[ExpressionFact, ...] = ()

    def __post_init__(self) -> None:
        if self.purity is not None and not 0.0 < self.purity <= 1.0:
            raise ValueError(f"purity must lie in (0, 1], got {self.purity}")
        for kind, found in self._found().items():
            if found and not self.provided(kind):
                raise ValueError(f"{kind} evidence given but not marked as provided")
        _unique([item.key for item in self.variants], "variant")
        _unique([item.key for item in self.copy_number], "copy-number segment")
        _unique([item.key for item in self.structural_variants], "structural variant")
        _unique([item.assay for item in self.expression], "expression assay")

    def _found(self) -> dict[str, bool]:
        return {
            "dna_variants": bool(self.variants),
            "copy_number": bool(self.copy_number),
            "structural_variants": bool(self.structural_variants),
            "rna_junctions": self.exon10 is not None,
            "expression": bool(self.expression),
        }

    def provided(self, kind: str) -> bool:
        flags = {
            "dna_variants": self.has_dna_variants,
            "copy_number": self.has_copy_number,
            "structural_variants": self.has_sv,
            "rna_junctions": self.has_rna_junctions,
            "expression": self.has_expression,
        }
        return flags[kind]


@dataclass(frozen=True)
class TreatmentLineFact:
    """One IMWG line of therapy. ``drug_last_doses`` holds drugs stopped before the line's end (IMWG
    refractoriness is per drug: induction-only bortezomib before lenalidomide maintenance)."""

    line: int
    drugs: tuple[str, ...]
    start: date | None = None
    end: date | None = None  # the line's last dose; None while ongoing
    best_response: str | None = None
    progression: date | None = None
    drug_last_doses: tuple[tuple[str, date], ...] = ()

    def last_dose(self, drug: str) -> date | None:
        doses = {name.strip().lower(): day for name, day in self.drug_last_doses}
        return doses.get(drug, self.end)

    @property
    def drug_names(self) -> tuple[str, ...]:
        return tuple(sorted({name.strip().lower() for name in self.drugs}))


@dataclass(frozen=True)
class AssessmentInput:
    sample: SampleFacts
    baseline: SampleFacts | None = None
    lines: tuple[TreatmentLineFact, ...] = ()
