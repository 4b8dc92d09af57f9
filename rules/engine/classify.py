"""The class rules: each fact of a sample is assigned to at most one alteration class (CRBN.md section 4).

Small variants are tried in the order A, B, C, D; the first rule that matches wins. That order resolves the two
overlaps in the definitions: a truncating variant is A whatever its position's domain, and residues 318-319,
which UniProt places in both the Lon domain (81-319) and the TBD (318-426), are class C: the TBD wins because
it is the drug-binding domain, so class D is 81-317 in effect. Composite biallelic loss (E from one lost copy
plus an A/B variant) is built later, in compose.py, from the classified alterations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .facts import CopyNumberFact, Exon10Fact, ExpressionFact, SmallVariantFact, StructuralVariantFact
from .kb import KnowledgeBase, Matching, MissenseMatch
from .numbering import ProteinPosition, canonical_position
from .results import Tracer


@dataclass(frozen=True)
class Classified:
    """A fact's class, the classes.yaml entry that matched and why; ``flags`` may hold "inferred"."""

    letter: str
    entry: str
    detail: str
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class VariantResult:
    classified: Classified | None
    position: ProteinPosition
    reason: str = ""  # why it matched no class
    protein_altering: bool = False


def half_up(value: float) -> int:
    """Round a copy number or ploidy half up (Python's round() would send 2.5 to 2)."""
    return math.floor(value + 0.5)


def _inferred(inferred: bool) -> tuple[str, ...]:
    return ("inferred",) if inferred else ()


# ---- small variants -------------------------------------------------------------------------------------------

_Rule = Callable[[frozenset[str], ProteinPosition, SmallVariantFact, Matching], Classified | None]


def rule_a_truncating(
    terms: frozenset[str], position: ProteinPosition, variant: SmallVariantFact, match: Matching
) -> Classified | None:
    """Class A: nonsense, frameshift or canonical splice-site variant at or before residue 426 (the end of the
    TBD): loss of IMiD binding (CRBN.md section 4; UniProt Q96SW2: R419*, which removes 419-442, disrupts
    function). A splice-site variant without a protein position qualifies by its exon/intron number (at or
    before 10, upstream of the last exon); that rests on the UNVERIFIED exon-to-residue mapping, so it is inferred."""
    rule = match.truncating
    hits = sorted(terms & set(rule.consequences))
    if not hits:
        return None
    if position.position is not None:
        if position.position > rule.max_position:
            return None
        detail = f"{hits[0]} at residue {position.position} (<= {rule.max_position})"
        return Classified("A", "classes.A", detail, _inferred(position.inferred), position.notes)
    if terms & set(rule.splice_consequences) and variant.exon is not None and variant.exon <= rule.splice_max_exon:
        detail = f"{hits[0]} at exon/intron {variant.exon} (<= {rule.splice_max_exon})"
        unverified = rule.splice_rests_on_unverified
        return Classified("A", "classes.A", detail, _inferred(bool(unverified)), unverified)
    return None


def rule_b_binding_residue(
    terms: frozenset[str], position: ProteinPosition, variant: SmallVariantFact, match: Matching
) -> Classified | None:
    """Class B: missense at a zinc ligand (C323, C326, C391, C394) or a drug-pocket residue (H378, W380, Y384,
    W386, W400, F402): expected loss of binding (UniProt Q96SW2; PDB 4TZ4; Ito 2010; Chamberlain 2014). A residue
    whose pocket role CRBN.md leaves UNVERIFIED (W400, F402) makes the classification inferred."""
    if position.position is None or not terms & set(match.binding.consequences):
        return None
    residue = match.binding.residue_at(position.position)
    if residue is None:
        return None
    inferred = position.inferred or bool(residue.rests_on_unverified)
    detail = f"missense at {residue.label} ({residue.role})"
    notes = position.notes + residue.rests_on_unverified
    return Classified("B", f"classes.B.residues.{residue.label}", detail, _inferred(inferred), notes)


def rule_c_tbd_missense(
    terms: frozenset[str], position: ProteinPosition, variant: SmallVariantFact, match: Matching
) -> Classified | None:
    """Class C: other missense inside the TBD (318-426): uncertain, may stop degradation without stopping
    binding (CRBN.md section 4; UniProt domain CULT)."""
    return _missense_in("C", match.tbd, terms, position, "the TBD")


def rule_d_lon_missense(
    terms: frozenset[str], position: ProteinPosition, variant: SmallVariantFact, match: Matching
) -> Classified | None:
    """Class D: missense in the Lon N-terminal / helical-bundle region (81-319, in effect 81-317 because C is
    tried first): uncertain (CRBN.md section 4; UniProt PROSITE PRU01123)."""
    return _missense_in("D", match.lon, terms, position, "the Lon region")


def _missense_in(
    letter: str, rule: MissenseMatch, terms: frozenset[str], position: ProteinPosition, region: str
) -> Classified | None:
    if position.position is None or not terms & set(rule.consequences) or not rule.covers(position.position):
        return None
    detail = f"missense at residue {position.position}, in {region} {rule.range}"
    return Classified(letter, f"classes.{letter}", detail, _inferred(position.inferred), position.notes)


VARIANT_RULES: tuple[_Rule, ...] = (rule_a_truncating, rule_b_binding_residue, rule_c_tbd_missense, rule_d_lon_missense)


def classify_variant(variant: SmallVariantFact, kb: KnowledgeBase, tracer: Tracer) -> VariantResult:
    """Normalise the protein position, then try the class rules in order A, B, C, D."""
    position = canonical_position(variant, kb.numbering, tracer)
    terms = frozenset(variant.consequences)
    if position.problem is None:
        for rule in VARIANT_RULES:
            found = rule(terms, position, variant, kb.matching)
            if found is not None:
                tracer.add(f"classify.{found.letter}", variant.key, found.entry, found.detail)
                return VariantResult(found, position)
    return _unclassified(variant, terms, position, kb, tracer)


def _unclassified(
    variant: SmallVariantFact, terms: frozenset[str], position: ProteinPosition, kb: KnowledgeBase, tracer: Tracer
) -> VariantResult:
    """A CRBN variant outside classes A-D. A protein-altering one is a variant of unknown significance."""
    altering = bool(terms & set(kb.matching.other_protein_altering))
    if position.problem:
        reason = position.problem
    elif not altering:
        reason = f"not protein-altering ({', '.join(sorted(terms)) or 'no consequence'})"
    elif position.position is None:
        reason = "protein-altering, but without a protein position (or an exon for a splice site)"
    else:
        reason = f"protein-altering at residue {position.position}, outside classes A-D"
    tracer.add("classify.unclassified", variant.key, "classes.other" if altering else None, reason)
    return VariantResult(None, position, reason, altering)


# ---- copy number, structural variants, exon 10, expression ----------------------------------------------------


def classify_copy_number(fact: CopyNumberFact, kb: KnowledgeBase, tracer: Tracer) -> Classified | None:
    """Class E when the tumour copy number is 0 (no CRBN protein: resistant to every CRBN agent); class F when it
    is below the sample's ploidy (1 in a diploid context): one copy lost, reduced dose (CRBN.md section 4).
    Copy number and ploidy are rounded half up; a missing ploidy is taken as 2. A log2 ratio alone is not read."""
    if fact.total_cn is None:
        tracer.add("classify.copy_number", fact.key, None, "no absolute copy number: not interpreted")
        return None
    rule = kb.matching.copy_number
    total = half_up(fact.total_cn)
    ploidy = half_up(fact.ploidy) if fact.ploidy is not None else rule.default_ploidy
    if total == rule.homozygous_copy_number:
        found = Classified("E", "classes.E", f"copy number {total}: homozygous deletion")
    elif total < ploidy:
        found = Classified("F", "classes.F", f"copy number {total} below ploidy {ploidy}: one copy lost")
    else:
        tracer.add("classify.copy_number", fact.key, None, f"copy number {total}, ploidy {ploidy}: no loss")
        return None
    tracer.add(f"classify.{found.letter}", fact.key, found.entry, found.detail)
    return found


def classify_structural_variant(
    fact: StructuralVariantFact, build: str, kb: KnowledgeBase, tracer: Tracer
) -> Classified | None:
    """Class H: a breakpoint inside the CRBN gene body, likely loss of function (CRBN.md section 4). On GRCh38 the
    span's ends are a liftover UNVERIFIED to a few bp, so a breakpoint within that margin is inferred."""
    span = kb.gene_body.get(build)
    if span is None:
        return None
    for chrom, position in fact.breakpoints:
        if chrom == span.chrom and span.start <= position <= span.end:
            near_end = min(position - span.start, span.end - position) < span.unverified_margin_bp
            detail = f"{fact.svtype} breakpoint at {chrom}:{position}, inside {build} {span.start}-{span.end}"
            notes = span.rests_on_unverified if near_end else ()
            found = Classified("H", f"classes.gene_body.{build}", detail, _inferred(near_end), notes)
            tracer.add("classify.H", fact.key, found.entry, detail)
            return found
    tracer.add("classify.H", fact.key, f"classes.gene_body.{build}", "no breakpoint inside the gene body")
    return None


def classify_exon10(fact: Exon10Fact, kb: KnowledgeBase, tracer: Tracer) -> Classified | None:
    """Class G: exon-10 skip fraction at or above the threshold, read only when the junction depth reaches the
    minimum (CRBN.md section 4: the skipped transcript loses the binding region; the 40% reference point,
    Blood Neoplasia 2025, is not a validated cut-off, so the alteration says so)."""
    threshold = kb.thresholds.entries[kb.matching.exon10.threshold]
    minimum = kb.thresholds.entries[kb.matching.exon10.min_depth]
    fraction = fact.skip_fraction
    counts = f"skip {fact.skip}, inclusion {fact.inclusion_upstream}/{fact.inclusion_downstream}"
    if fact.depth < Fraction(str(minimum.value)) or fraction is None:
        tracer.add("classify.G", "exon10", f"thresholds.{minimum.id}", f"depth {float(fact.depth):g}: not assessable")
        return None
    if fraction < Fraction(str(threshold.value)):
        tracer.add("classify.G", "exon10", f"thresholds.{threshold.id}", f"fraction {float(fraction):.3f}: below")
        return None
    detail = f"skip fraction {float(fraction):.3f} >= {threshold.value:g} ({counts})"
    flags = () if threshold.validated else ("unvalidated_threshold",)
    tracer.add("classify.G", "exon10", f"thresholds.{threshold.id}", detail)
    return Classified("G", "classes.G", detail, flags, (threshold.note,) if flags else ())


def classify_expression(fact: ExpressionFact, kb: KnowledgeBase, tracer: Tracer) -> Classified | None:
    """Class I: CRBN expression below the threshold bound to the same assay (GEP < 0.81, Schuster 2014). No
    threshold is ever applied across platforms; an assay without a single-sample cut-off (Broyl 2013's median
    split) cannot classify a sample."""
    threshold = kb.matching.expression_threshold(fact.assay)
    if threshold is None or threshold.below is None:
        tracer.add("classify.I", fact.assay, None, "no single-sample threshold for this assay: not assessable")
        return None
    entry = f"classes.I.thresholds.{fact.assay}"
    if fact.value >= threshold.below:
        tracer.add("classify.I", fact.assay, entry, f"{fact.value:g} >= {threshold.below:g}: not low")
        return None
    detail = f"{fact.value:g} {fact.unit} < {threshold.below:g} ({fact.assay})"
    tracer.add("classify.I", fact.assay, entry, detail)
    return Classified("I", entry, detail)
