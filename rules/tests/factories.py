"""Small constructed inputs for the engine tests (no files, no database)."""

from __future__ import annotations

from typing import Any

from rules.engine import (
    Assessment,
    AssessmentInput,
    Exon10Fact,
    KnowledgeBase,
    SampleFacts,
    SmallVariantFact,
    TreatmentLineFact,
    assess,
)

DRUGS = ("thalidomide", "lenalidomide", "pomalidomide", "iberdomide", "mezigdomide")
# DNA variants, copy number, SVs and exon-10 junctions all provided: what every gating class needs.
ALL_KINDS = {"has_dna_variants": True, "has_copy_number": True, "has_sv": True, "has_rna_junctions": True}
NO_SKIPPING = Exon10Fact(skip=0, inclusion_upstream=100, inclusion_downstream=100)


def variant(position: int | None = 380, consequence: str = "missense_variant", **fields: Any) -> SmallVariantFact:
    """A CRBN variant on the canonical transcript, clonal at purity 0.9 (VAF 0.45, diploid)."""
    values: dict[str, Any] = {
        "key": f"3:{3_150_000 + (position or 0)}:C>T",
        "gene": "CRBN",
        "consequence": consequence,
        "protein_position": position,
        "transcript": "NM_016302.4",
        "vaf": 0.45,
        "depth": 400,
        "alt_count": 180,
    }
    values.update(fields)
    return SmallVariantFact(**values)


def sample(*variants: SmallVariantFact, **fields: Any) -> SampleFacts:
    """A GRCh38 sample with every gating evidence kind provided and, unless given, nothing found."""
    values: dict[str, Any] = {
        "build": "GRCh38",
        "name": "relapse",
        "purity": 0.9,
        "coverage": 500,
        **ALL_KINDS,
        "variants": variants,
        "exon10": NO_SKIPPING,
    }
    values.update(fields)
    return SampleFacts(**values)


def run(
    kb: KnowledgeBase,
    relapse: SampleFacts,
    baseline: SampleFacts | None = None,
    lines: tuple[TreatmentLineFact, ...] = (),
) -> Assessment:
    return assess(AssessmentInput(sample=relapse, baseline=baseline, lines=lines), kb)


def calls(result: Assessment) -> dict[str, str]:
    return {item.drug: item.call.value for item in result.drugs}


def classes(result: Assessment) -> list[str]:
    return sorted(item.alteration_class for item in result.alterations)
