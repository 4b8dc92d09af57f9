"""Quality control: which evidence kinds can support conclusions, and the sample's QC status.

An evidence kind is "adequate" when it was provided and is good enough for a negative conclusion. The status is
fail when no kind is adequate; warn when a kind that gates negative calls (classes.yaml ``gates_negative``) is
not adequate, or purity, DNA coverage or the baseline's build leave something unassessed; pass otherwise.
"""

from __future__ import annotations

from .facts import SampleFacts
from .kb import KnowledgeBase
from .results import EvidenceStatus, QcStatus, QualityControl, Tracer


def evidence_statuses(sample: SampleFacts, kb: KnowledgeBase) -> tuple[EvidenceStatus, ...]:
    return (
        _dna_status(sample, kb),
        _copy_number_status(sample),
        _sv_status(sample, kb),
        _rna_status(sample, kb),
        _expression_status(sample, kb),
    )


def _missing(kind: str) -> EvidenceStatus:
    return EvidenceStatus(kind, provided=False, adequate=False, reason="not provided")


def _dna_status(sample: SampleFacts, kb: KnowledgeBase) -> EvidenceStatus:
    """DNA supports "no variant" only with depth >= min_coverage and purity >= 2 x LOD VAF: below that purity a
    clonal heterozygous variant (VAF = purity / 2 in a diploid tumour) would fall under the limit of detection."""
    if not sample.has_dna_variants:
        return _missing("dna_variants")
    minimum, lod = kb.thresholds.value("min_coverage"), kb.thresholds.value("lod_vaf")
    if sample.coverage is not None and sample.coverage < minimum:
        return EvidenceStatus(
            "dna_variants", True, False, f"coverage {sample.coverage:g}x below the minimum {minimum:g}x"
        )
    if sample.purity is not None and sample.purity < 2 * lod:
        reason = f"purity {sample.purity:g} below {2 * lod:g}: a clonal heterozygous variant would be under the LOD"
        return EvidenceStatus("dna_variants", True, False, reason)
    return EvidenceStatus("dna_variants", True, True, "coverage unknown" if sample.coverage is None else "adequate")


def _copy_number_status(sample: SampleFacts) -> EvidenceStatus:
    """Only absolute copy numbers are read; a log2 ratio needs purity and ploidy fitting the engine does not do."""
    if not sample.has_copy_number:
        return _missing("copy_number")
    if any(item.total_cn is None for item in sample.copy_number):
        return EvidenceStatus("copy_number", True, False, "a segment has no absolute copy number (log2 only)")
    return EvidenceStatus("copy_number", True, True, "adequate")


def _sv_status(sample: SampleFacts, kb: KnowledgeBase) -> EvidenceStatus:
    if not sample.has_sv:
        return _missing("structural_variants")
    if sample.build not in kb.gene_body:
        return EvidenceStatus("structural_variants", True, False, f"no CRBN gene span for build {sample.build}")
    return EvidenceStatus("structural_variants", True, True, "adequate")


def _rna_status(sample: SampleFacts, kb: KnowledgeBase) -> EvidenceStatus:
    """Exon-10 skipping is read only when the junction depth reaches the minimum (thresholds.yaml)."""
    if not sample.has_rna_junctions:
        return _missing("rna_junctions")
    minimum = kb.thresholds.value(kb.matching.exon10.min_depth)
    if sample.exon10 is None:
        return EvidenceStatus("rna_junctions", True, False, "no exon-10 junction reads")
    if sample.exon10.depth < minimum:
        reason = f"exon-10 junction depth {float(sample.exon10.depth):g} below the minimum {minimum:g}"
        return EvidenceStatus("rna_junctions", True, False, reason)
    return EvidenceStatus("rna_junctions", True, True, "adequate")


def _expression_status(sample: SampleFacts, kb: KnowledgeBase) -> EvidenceStatus:
    """Expression is assessable only with a single-sample threshold bound to the same assay."""
    if not sample.has_expression:
        return _missing("expression")
    usable = [item for item in sample.expression if _has_threshold(item.assay, kb)]
    if not usable:
        assays = ", ".join(sorted(item.assay for item in sample.expression)) or "none"
        return EvidenceStatus("expression", True, False, f"no single-sample threshold for assay {assays}")
    return EvidenceStatus("expression", True, True, "adequate")


def _has_threshold(assay: str, kb: KnowledgeBase) -> bool:
    threshold = kb.matching.expression_threshold(assay)
    return threshold is not None and threshold.below is not None


def gating_kinds(kb: KnowledgeBase) -> frozenset[str]:
    """Evidence kinds some class needs before a negative call may be made."""
    return frozenset(kind for cls in kb.classes.values() if cls.gates_negative for kind in cls.evidence)


def quality_control(
    sample: SampleFacts, baseline: SampleFacts | None, kb: KnowledgeBase, tracer: Tracer
) -> QualityControl:
    """QC gate: fail when nothing is assessable, warn when something that gates a negative call is not."""
    statuses = evidence_statuses(sample, kb)
    for item in statuses:
        tracer.add("qc.evidence", item.kind, None, item.reason)
    if not any(item.adequate for item in statuses):
        reasons = ("no evidence kind could be assessed", *(f"{item.kind}: {item.reason}" for item in statuses))
        return _result(QcStatus.FAIL, reasons, statuses, tracer)
    gating = gating_kinds(kb)
    reasons = tuple(f"{item.kind}: {item.reason}" for item in statuses if item.kind in gating and not item.adequate)
    reasons += _sample_warnings(sample, baseline)
    return _result(QcStatus.WARN if reasons else QcStatus.PASS, reasons, statuses, tracer)


def _sample_warnings(sample: SampleFacts, baseline: SampleFacts | None) -> tuple[str, ...]:
    warnings = []
    if sample.purity is None:
        warnings.append("purity unknown: cancer-cell fractions cannot be estimated")
    if sample.has_dna_variants and sample.coverage is None:
        warnings.append("DNA coverage unknown: the absence of a variant is not assured")
    if baseline is not None and baseline.build != sample.build:
        warnings.append(f"baseline is on {baseline.build}, the sample on {sample.build}: not compared")
    return tuple(warnings)


def _result(
    status: QcStatus, reasons: tuple[str, ...], statuses: tuple[EvidenceStatus, ...], tracer: Tracer
) -> QualityControl:
    tracer.add("qc.status", "sample", None, status.value)
    return QualityControl(status, reasons, statuses)
