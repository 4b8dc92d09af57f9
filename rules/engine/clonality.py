"""Clonality of small variants: cancer-cell fraction (CCF) from VAF, purity and tumour copy number.

CRBN mutations at relapse are often subclonal (Leukemia 2021, doi 10.1038/s41375-021-01373-4), so every variant
states its CCF and whether it is subclonal. The formula is the standard one for a heterozygous mutation:

    CCF = VAF x (purity x CN_tumour + 2 x (1 - purity)) / purity, capped at 1.0

Assumptions (shown on reports as limitations of the estimate): the mutation sits on one copy (multiplicity 1);
non-tumour cells are diploid and lack it; the tumour copy number is that of the segment holding the variant
(else the only segment given, else 2, flagged as assumed); purity is the plasma-cell fraction of the sample.
"""

from __future__ import annotations

from collections.abc import Sequence

from .classify import half_up
from .facts import CopyNumberFact, SampleFacts, SmallVariantFact
from .kb import KnowledgeBase
from .results import Clonality, Tracer


def tumour_copy_number(variant: SmallVariantFact, segments: Sequence[CopyNumberFact], default: int) -> tuple[int, bool]:
    """The tumour copy number at the variant, and whether it had to be assumed."""
    usable = [item for item in segments if item.total_cn is not None]
    holding = [
        item
        for item in usable
        if item.segment is not None and variant.pos is not None and item.segment.contains(variant.pos)
    ]
    chosen = holding or (usable if len(usable) == 1 else [])
    if chosen and chosen[0].total_cn is not None:
        return half_up(chosen[0].total_cn), False
    return default, True


def cancer_cell_fraction(vaf: float, purity: float, tumour_cn: int) -> float:
    """CCF for a heterozygous mutation, capped at 1.0 (see the module docstring for the assumptions)."""
    return min(1.0, vaf * (purity * tumour_cn + 2 * (1 - purity)) / purity)


def clonality(variant: SmallVariantFact, sample: SampleFacts, kb: KnowledgeBase, tracer: Tracer) -> Clonality:
    """CCF, subclonal when below the clonal cut-off; below_lod when the VAF is below the limit of detection.
    Both cut-offs are implementation defaults in thresholds.yaml, not published values."""
    segments = sorted(sample.copy_number, key=lambda item: item.key)
    copies, assumed = tumour_copy_number(variant, segments, kb.matching.copy_number.default_ploidy)
    below_lod = variant.vaf is not None and variant.vaf < kb.thresholds.value("lod_vaf")
    ccf = None
    if variant.vaf is not None and sample.purity is not None:
        ccf = round(cancer_cell_fraction(variant.vaf, sample.purity, copies), 4)
    subclonal = None if ccf is None else ccf < kb.thresholds.value("clonal_ccf")
    outcome = "CCF unknown (no VAF or purity)" if ccf is None else f"CCF {ccf:g}{' (subclonal)' if subclonal else ''}"
    tracer.add("clonality.ccf", variant.key, "thresholds.clonal_ccf", outcome)
    if below_lod:
        tracer.add("clonality.below_lod", variant.key, "thresholds.lod_vaf", f"VAF {variant.vaf:g} below the LOD")
    return Clonality(variant.vaf, sample.purity, copies, assumed, ccf, subclonal, below_lod)
