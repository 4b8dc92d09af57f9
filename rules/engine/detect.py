"""Turn one sample's facts into classified alterations (with clonality and acquired status).

Facts are walked in sorted order (variants by key, segments by location, SVs by key, expression by assay), so
the alterations and the trace do not depend on the order the adapter supplied them in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .acquired import BaselineView, class_acquired, combined_acquired, variant_acquired
from .classify import (
    Classified,
    VariantResult,
    classify_copy_number,
    classify_exon10,
    classify_expression,
    classify_structural_variant,
    classify_variant,
)
from .clonality import clonality
from .facts import SampleFacts, SmallVariantFact
from .kb import KnowledgeBase
from .results import Alteration, Clonality, Tracer, UnclassifiedVariant

CRBN = "CRBN"


@dataclass(frozen=True)
class Detection:
    alterations: tuple[Alteration, ...]
    unclassified: tuple[UnclassifiedVariant, ...]
    other_genes: tuple[str, ...]


def detect(sample: SampleFacts, kb: KnowledgeBase, tracer: Tracer, baseline: BaselineView | None) -> Detection:
    """Every CRBN alteration in the sample, then the composite biallelic ones built from them."""
    variants = sorted(sample.variants, key=lambda item: item.key)
    crbn = [item for item in variants if item.gene.upper() == CRBN]
    results = [(item, classify_variant(item, kb, tracer)) for item in crbn]
    found = [_variant_alteration(item, result, sample, kb, baseline, tracer) for item, result in results]
    alterations = [item for item in found if item is not None]
    alterations += _copy_number_alterations(sample, kb, baseline, tracer)
    alterations += _sv_alterations(sample, kb, baseline, tracer)
    alterations += _exon10_alterations(sample, kb, baseline, tracer)
    alterations += _expression_alterations(sample, kb, baseline, tracer)
    alterations += compose_biallelic(alterations, sample, kb, tracer)
    unclassified = [_unclassified(item, result) for item, result in results if result.classified is None]
    return Detection(tuple(alterations), tuple(unclassified), _other_genes(variants, tracer))


def _other_genes(variants: list[SmallVariantFact], tracer: Tracer) -> tuple[str, ...]:
    """Pathway genes (IKZF1, IKZF3, CUL4A/B, DDB1, ...) are recorded, never weighed until curated (CRBN.md 4)."""
    recorded = []
    for item in variants:
        if item.gene.upper() != CRBN:
            tracer.add("variant.other_gene", item.key, None, f"{item.gene}: recorded, not weighed")
            recorded.append(f"{item.gene} {item.hgvs_p or item.hgvs_c or item.key}")
    return tuple(recorded)


def _unclassified(variant: SmallVariantFact, result: VariantResult) -> UnclassifiedVariant:
    return UnclassifiedVariant(
        fact=variant.key,
        consequence=variant.consequence,
        description=_describe(variant, result.position.position),
        protein_altering=result.protein_altering,
        reason=result.reason,
    )


def _describe(variant: SmallVariantFact, position: int | None) -> str:
    name = variant.hgvs_p or variant.hgvs_c or variant.key
    return f"{name} (canonical residue {position})" if position is not None else name


def _flags(found: Classified, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(sorted({*found.flags, *extra}))


def _variant_alteration(
    variant: SmallVariantFact,
    result: VariantResult,
    sample: SampleFacts,
    kb: KnowledgeBase,
    baseline: BaselineView | None,
    tracer: Tracer,
) -> Alteration | None:
    if result.classified is None:
        return None
    found, clone = result.classified, clonality(variant, sample, kb, tracer)
    acquired, why = variant_acquired(variant, baseline, kb, tracer)
    return Alteration(
        id=f"variant:{variant.key}",
        alteration_class=found.letter,
        kind="small_variant",
        fact=variant.key,
        description=f"{_describe(variant, result.position.position)}: {found.detail}",
        acquired=acquired,
        acquired_reason=why,
        clonality=clone,
        flags=_flags(found, _variant_flags(variant, clone)),
        notes=found.notes,
        entry=found.entry,
    )


def _variant_flags(variant: SmallVariantFact, clone: Clonality) -> tuple[str, ...]:
    flags = ["below_lod"] if clone.below_lod else []
    flags += ["subclonal"] if clone.subclonal else []
    flags += [] if variant.passed else ["filtered"]
    return tuple(flags)


def _simple(
    found: Classified, kind: str, evidence: str, fact: str, baseline: BaselineView | None, tracer: Tracer
) -> Alteration:
    """An alteration of a non-variant kind, its acquired status compared by class with the baseline."""
    acquired, why = class_acquired(found.letter, evidence, fact, baseline, tracer)
    prefix = {"copy_number": "cn", "structural_variant": "sv", "exon10_skipping": "rna"}.get(kind, kind)
    return Alteration(
        id=f"{prefix}:{fact}",
        alteration_class=found.letter,
        kind=kind,
        fact=fact,
        description=found.detail,
        acquired=acquired,
        acquired_reason=why,
        flags=_flags(found),
        notes=found.notes,
        entry=found.entry,
    )


def _copy_number_alterations(
    sample: SampleFacts, kb: KnowledgeBase, baseline: BaselineView | None, tracer: Tracer
) -> list[Alteration]:
    found = []
    for item in sorted(sample.copy_number, key=lambda fact: fact.key):
        classified = classify_copy_number(item, kb, tracer)
        if classified is not None:
            found.append(_simple(classified, "copy_number", "copy_number", item.key, baseline, tracer))
    return found


def _sv_alterations(
    sample: SampleFacts, kb: KnowledgeBase, baseline: BaselineView | None, tracer: Tracer
) -> list[Alteration]:
    """Structural variants; one that failed the caller's filters is kept but flagged (capped at uncertain)."""
    found = []
    for item in sorted(sample.structural_variants, key=lambda fact: fact.key):
        classified = classify_structural_variant(item, sample.build, kb, tracer)
        if classified is not None:
            alteration = _simple(classified, "structural_variant", "structural_variants", item.key, baseline, tracer)
            flags = alteration.flags if item.passed else tuple(sorted({*alteration.flags, "filtered"}))
            found.append(replace(alteration, flags=flags))
    return found


def _exon10_alterations(
    sample: SampleFacts, kb: KnowledgeBase, baseline: BaselineView | None, tracer: Tracer
) -> list[Alteration]:
    if sample.exon10 is None:
        return []
    classified = classify_exon10(sample.exon10, kb, tracer)
    if classified is None:
        return []
    return [_simple(classified, "exon10_skipping", "rna_junctions", "exon10", baseline, tracer)]


def _expression_alterations(
    sample: SampleFacts, kb: KnowledgeBase, baseline: BaselineView | None, tracer: Tracer
) -> list[Alteration]:
    found = []
    for item in sorted(sample.expression, key=lambda fact: fact.assay):
        classified = classify_expression(item, kb, tracer)
        if classified is not None:
            found.append(_simple(classified, "expression", "expression", item.assay, baseline, tracer))
    return found


# ---- composite biallelic loss ---------------------------------------------------------------------------------


def compose_biallelic(
    alterations: list[Alteration], sample: SampleFacts, kb: KnowledgeBase, tracer: Tracer
) -> list[Alteration]:
    """Class E (composite): one copy lost (class F) plus a class A/B variant on the remaining copy leaves no
    functional CRBN: resistant to every CRBN-dependent agent (CRBN.md section 4). The variant must be confident
    (not below the LOD, not filtered) and, where both locations are known, inside the lost segment. The
    composite inherits the variant's clonality: a subclonal second hit makes a subclonal biallelic state."""
    second_hits = kb.matching.copy_number.second_hit_classes
    losses = [item for item in alterations if item.alteration_class == "F"]
    hits = [
        item
        for item in alterations
        if item.kind == "small_variant" and item.alteration_class in second_hits and not item.low_confidence
    ]
    return [_biallelic(loss, hit, tracer) for loss in losses for hit in hits if _same_region(loss, hit, sample)]


def _same_region(loss: Alteration, hit: Alteration, sample: SampleFacts) -> bool:
    segment = next((item.segment for item in sample.copy_number if item.key == loss.fact), None)
    position = next((item.pos for item in sample.variants if item.key == hit.fact), None)
    return segment is None or position is None or segment.contains(position)


def _biallelic(loss: Alteration, hit: Alteration, tracer: Tracer) -> Alteration:
    acquired = combined_acquired((loss.acquired, hit.acquired))
    flags = tuple(sorted({flag for flag in hit.flags if flag in ("inferred", "subclonal")}))
    identifier = f"biallelic:{loss.id}+{hit.id}"
    detail = f"one copy lost ({loss.fact}) plus class {hit.alteration_class} variant {hit.fact} on the remaining copy"
    tracer.add("compose.E.biallelic", identifier, "classes.E", detail)
    return Alteration(
        id=identifier,
        alteration_class="E",
        kind="biallelic",
        fact=f"{loss.fact}+{hit.fact}",
        description=detail,
        acquired=acquired,
        acquired_reason=f"copy loss: {loss.acquired_reason}; variant: {hit.acquired_reason}",
        clonality=hit.clonality,
        flags=flags,
        notes=hit.notes,
        components=(loss.id, hit.id),
        entry="classes.E",
    )
