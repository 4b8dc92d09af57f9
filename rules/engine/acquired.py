"""Acquired or pre-existing: compare each relapse alteration with the baseline sample.

Gooding 2021 counted acquired CRBN changes (relapse vs baseline, with germline controls). For small variants:
germline (flagged, or ALT reads in the matched normal above the threshold) -> not acquired; the same variant
key at baseline -> not acquired (pre-existing, even if below the LOD there); absent from a baseline with adequate
coverage -> acquired; anything else -> unknown. Other alterations compare by class: the same class at baseline
-> not acquired; the evidence kind adequate at baseline and the class absent -> acquired; else unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from .facts import SmallVariantFact
from .kb import KnowledgeBase
from .results import Tracer


@dataclass(frozen=True)
class BaselineView:
    """What the relapse sample is compared with. ``comparable`` is False when the builds differ."""

    comparable: bool
    reason: str
    variant_keys: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    adequate_kinds: frozenset[str] = frozenset()
    variant_absence_reliable: bool = False  # DNA provided with known coverage >= min_coverage


def variant_acquired(
    variant: SmallVariantFact, baseline: BaselineView | None, kb: KnowledgeBase, tracer: Tracer
) -> tuple[bool | None, str]:
    """Small variant: germline -> False; at baseline -> False; absent with adequate coverage -> True; else None."""
    limit = kb.thresholds.value("germline_normal_alt_max")
    if variant.germline_flag or (variant.normal_alt_count or 0) > limit:
        return _traced(tracer, variant.key, "thresholds.germline_normal_alt_max", False, "germline")
    if baseline is None or not baseline.comparable:
        return _traced(tracer, variant.key, None, None, baseline.reason if baseline else "no baseline sample")
    if variant.key in baseline.variant_keys:
        return _traced(tracer, variant.key, None, False, "present at baseline (pre-existing)")
    if baseline.variant_absence_reliable:
        return _traced(
            tracer, variant.key, "thresholds.min_coverage", True, "absent at baseline with adequate coverage"
        )
    return _traced(tracer, variant.key, "thresholds.min_coverage", None, "baseline coverage unknown or below minimum")


def class_acquired(
    letter: str, kind: str, fact: str, baseline: BaselineView | None, tracer: Tracer
) -> tuple[bool | None, str]:
    """Copy number, SV, exon-10 skipping, expression: compared by class with the baseline."""
    if baseline is None or not baseline.comparable:
        return _traced(tracer, fact, None, None, baseline.reason if baseline else "no baseline sample")
    if letter in baseline.classes:
        return _traced(tracer, fact, f"classes.{letter}", False, f"class {letter} also present at baseline")
    if kind in baseline.adequate_kinds:
        return _traced(tracer, fact, f"classes.{letter}", True, f"class {letter} absent at baseline")
    return _traced(tracer, fact, f"classes.{letter}", None, f"{kind} not assessable at baseline")


def combined_acquired(parts: tuple[bool | None, ...]) -> bool | None:
    """A composite state is acquired when any part is; pre-existing when every part is; else unknown."""
    if any(part is True for part in parts):
        return True
    return False if parts and all(part is False for part in parts) else None


def _traced(tracer: Tracer, fact: str, entry: str | None, value: bool | None, reason: str) -> tuple[bool | None, str]:
    outcome = {True: "acquired", False: "not acquired", None: "unknown"}[value]
    tracer.add("acquired", fact, entry, f"{outcome}: {reason}")
    return value, reason
