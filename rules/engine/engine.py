"""assess(input, kb) -> Assessment: the pure rules engine. Facts in, findings out, with a trace.

Order of work: QC of the sample's evidence; the baseline (if any) classified the same way, to tell acquired from
pre-existing; the sample's alterations (class rules, clonality, acquired status, composite biallelic loss); one
verdict per drug of the knowledge base; the treatment context. Deterministic: facts are walked sorted, nothing
depends on set order, and nothing reads a clock.
"""

from __future__ import annotations

from .acquired import BaselineView
from .calls import drug_finding
from .context import treatment_context
from .detect import detect
from .facts import AssessmentInput, SampleFacts
from .kb import KnowledgeBase
from .qc import evidence_statuses, quality_control
from .results import Assessment, Tracer

ENGINE_VERSION = "0.1.0"


def assess(data: AssessmentInput, kb: KnowledgeBase) -> Assessment:
    """Assess one relapse sample against one knowledge-base release."""
    tracer = Tracer()
    qc = quality_control(data.sample, data.baseline, kb, tracer)
    baseline = baseline_view(data.sample, data.baseline, kb, tracer)
    found = detect(data.sample, kb, tracer, baseline)
    drugs = tuple(drug_finding(drug, found.alterations, found.unclassified, qc, kb, tracer) for drug in kb.drugs)
    return Assessment(
        engine_version=ENGINE_VERSION,
        kb_release=kb.release,
        kb_sha256=kb.sha256,
        build=data.sample.build,
        sample=data.sample.name,
        qc=qc,
        alterations=found.alterations,
        unclassified=found.unclassified,
        other_genes=found.other_genes,
        drugs=drugs,
        context=treatment_context(data.sample, data.lines, kb, tracer),
        disclaimer=kb.wording.notes["decision_support"],
        trace=tuple(tracer.entries),
    )


def baseline_view(
    sample: SampleFacts, baseline: SampleFacts | None, kb: KnowledgeBase, tracer: Tracer
) -> BaselineView | None:
    """Classify the baseline sample with the same rules (traced with a "baseline:" prefix). Variant keys are
    build-specific, so a baseline on another build is not compared at all."""
    if baseline is None:
        return None
    if baseline.build != sample.build:
        reason = f"baseline on {baseline.build}, sample on {sample.build}: not compared"
        tracer.add("acquired.baseline", "baseline", None, reason)
        return BaselineView(comparable=False, reason=reason)
    child = Tracer(prefix="baseline:", entries=tracer.entries)
    found = detect(baseline, kb, child, None)
    minimum = kb.thresholds.value("min_coverage")
    return BaselineView(
        comparable=True,
        reason="baseline compared",
        variant_keys=frozenset(item.key for item in baseline.variants),
        classes=frozenset(item.alteration_class for item in found.alterations),
        adequate_kinds=frozenset(item.kind for item in evidence_statuses(baseline, kb) if item.adequate),
        variant_absence_reliable=baseline.has_dna_variants
        and baseline.coverage is not None
        and baseline.coverage >= minimum,
    )
