"""Per-drug verdicts: the alteration x drug table, combined across alterations, gated by QC.

Knowledge-base call -> verdict: resistant -> resistance_likely; reduced -> resistance_possible; unknown ->
uncertain; likely_sensitive -> uncertain (an alteration was found, and the stable interface has no "sensitive"
verdict: saying "no alteration detected" would be false).

Per alteration, before combining (implementation choices, shown in the reasons):
- below the limit of detection, or failed the caller's filters: capped at uncertain (not confirmed);
- subclonal (CCF below the clonal cut-off): resistance_likely becomes resistance_possible, because cells
  without the alteration may still respond (CRBN mutations at relapse are often subclonal, Leukemia 2021);
- inferred (its class rests on a fact CRBN.md marks UNVERIFIED, e.g. the pocket role of W400/F402): likewise
  one step weaker, so an unverified classification is never presented at full strength.

Precedence across alterations: the strongest verdict (likely > possible > uncertain); on a tie the stronger
evidence level, then the more severe class (classes.yaml ``severity``: E first), then the alteration id. The
winning table entry gives the level, tier and basis; every contributing entry is listed.

With no alteration: "no_alteration_detected" only when every evidence kind needed by a class that gates negative
calls and predicts resistance to this drug (resistant or reduced) was adequate; otherwise "not_assessable",
with what was and was not assessed. So DNA alone never gives a negative lenalidomide call (exon-10 skipping
needs RNA), while biallelic loss, the only mechanism known for CELMoDs, is ruled out by DNA plus copy number.

Actionable: only resistance_likely from an entry whose published predicted resistance rate reaches
``actionable_resistance_rate`` (0.8: "only alterations that predict resistance at high rates (80-90%) should
change therapy"), and never from an inference. No entry has a published rate yet, so nothing is actionable.
"""

from __future__ import annotations

from dataclasses import dataclass

from .detect import CRBN
from .kb import RESISTANCE_CALLS, CallEntry, KnowledgeBase
from .results import Alteration, Call, DrugFinding, QualityControl, Tracer, UnclassifiedVariant

CALL_OF_KB = {
    "resistant": Call.RESISTANCE_LIKELY,
    "reduced": Call.RESISTANCE_POSSIBLE,
    "unknown": Call.UNCERTAIN,
    "likely_sensitive": Call.UNCERTAIN,
}
RANK = {Call.RESISTANCE_LIKELY: 3, Call.RESISTANCE_POSSIBLE: 2, Call.UNCERTAIN: 1}
LEVEL_RANK = {"A": 4, "B": 3, "C": 2, "D": 1}
OTHER = "other"


@dataclass(frozen=True)
class Contribution:
    """What one alteration says about one drug."""

    source: str
    entry: CallEntry
    call: Call
    severity: int
    inferred: bool
    reason: str
    flags: tuple[str, ...]
    notes: tuple[str, ...]

    def sort_key(self) -> tuple[int, int, int, str]:
        return (-RANK[self.call], -LEVEL_RANK[self.entry.level], self.severity, self.source)


def _modified(call: Call, flags: tuple[str, ...]) -> tuple[Call, str]:
    """Unconfirmed alterations are capped at uncertain; subclonal or inferred ones are one step weaker."""
    if ("below_lod" in flags or "filtered" in flags) and RANK[call] > RANK[Call.UNCERTAIN]:
        return Call.UNCERTAIN, " (not confirmed: capped at uncertain)"
    weaker = [flag for flag in ("subclonal", "inferred") if flag in flags]
    if weaker and call is Call.RESISTANCE_LIKELY:
        return Call.RESISTANCE_POSSIBLE, f" ({' and '.join(weaker)}: one step weaker)"
    return call, ""


def contribution(alteration: Alteration, drug: str, kb: KnowledgeBase, tracer: Tracer) -> Contribution:
    """Look up the alteration's class in the table for this drug and apply the per-alteration modifiers."""
    entry = kb.call(alteration.alteration_class, drug)
    call, modifier = _modified(CALL_OF_KB[entry.call], alteration.flags)
    tracer.add("drug.contribution", alteration.id, entry.id, f"{drug}: {call.value}{modifier}")
    reason = f"{alteration.description}: class {alteration.alteration_class}, {entry.id} {entry.call}{modifier}"
    severity = kb.classes[alteration.alteration_class].severity
    return Contribution(
        alteration.id, entry, call, severity, alteration.inferred, reason, alteration.flags, alteration.notes
    )


def unclassified_contribution(
    variant: UnclassifiedVariant, drug: str, kb: KnowledgeBase, tracer: Tracer
) -> Contribution:
    """A protein-altering CRBN variant outside classes A-D is of unknown significance for every drug."""
    entry = kb.call(OTHER, drug)
    call = CALL_OF_KB[entry.call]
    source = f"variant:{variant.fact}"
    tracer.add("drug.contribution", source, entry.id, f"{drug}: {call.value}")
    reason = f"{CRBN} {variant.description}: {variant.reason}; {entry.id} {entry.call}"
    return Contribution(source, entry, call, len(kb.classes) + 1, False, reason, (), ())


def required_kinds(drug: str, kb: KnowledgeBase) -> tuple[str, ...]:
    """Evidence kinds that must be adequate before this drug may be called "no_alteration_detected"."""
    kinds = {
        kind
        for letter, cls in kb.classes.items()
        if cls.gates_negative and kb.call(letter, drug).call in RESISTANCE_CALLS
        for kind in cls.evidence
    }
    return tuple(sorted(kinds))


def drug_finding(
    drug: str,
    alterations: tuple[Alteration, ...],
    unclassified: tuple[UnclassifiedVariant, ...],
    qc: QualityControl,
    kb: KnowledgeBase,
    tracer: Tracer,
) -> DrugFinding:
    """The verdict for one drug: from the alterations found, or the QC-gated negative."""
    found = [contribution(item, drug, kb, tracer) for item in alterations]
    found += [unclassified_contribution(item, drug, kb, tracer) for item in unclassified if item.protein_altering]
    if found:
        return _positive(drug, sorted(found, key=Contribution.sort_key), qc, kb, tracer)
    return _negative(drug, qc, kb, tracer)


def _positive(
    drug: str, found: list[Contribution], qc: QualityControl, kb: KnowledgeBase, tracer: Tracer
) -> DrugFinding:
    best = found[0]
    tracer.add("drug.select", drug, best.entry.id, f"{best.call.value} from {best.source}")
    inferred = best.inferred or best.entry.basis == "inferred"
    actionable = _actionable(drug, best, inferred, kb, tracer)
    notes = tuple(dict.fromkeys(note for item in found for note in item.notes))
    return DrugFinding(
        drug=drug,
        call=best.call,
        actionable=actionable,
        level=best.entry.level,
        tier=best.entry.tier,
        basis="inferred" if inferred else best.entry.basis,
        inferred=inferred,
        text=_text(drug, best.call, kb, actionable=actionable, inferred=inferred, flags=best.flags),
        reasons=tuple(item.reason for item in found),
        limitations=_not_adequate(qc) + notes,
        entries=tuple(sorted({item.entry.id for item in found})),
        alterations=tuple(sorted({item.source for item in found})),
    )


def _negative(drug: str, qc: QualityControl, kb: KnowledgeBase, tracer: Tracer) -> DrugFinding:
    """No alteration: a negative verdict only when every required evidence kind was adequate."""
    required = required_kinds(drug, kb)
    missing = [item for item in qc.evidence if item.kind in required and not item.adequate]
    assessed = [item.kind for item in qc.evidence if item.adequate]
    call = Call.NOT_ASSESSABLE if missing else Call.NO_ALTERATION_DETECTED
    reasons = [f"no CRBN alteration found in: {', '.join(assessed) or 'nothing assessable'}"]
    reasons += [f"needed for {drug} but not assessable: {item.kind} ({item.reason})" for item in missing]
    tracer.add("drug.gate", drug, None, f"{call.value}: required {', '.join(required)}")
    return DrugFinding(
        drug=drug,
        call=call,
        actionable=False,
        level=None,
        tier=None,
        basis=None,
        inferred=False,
        text=_text(drug, call, kb, actionable=False, inferred=False, flags=()),
        reasons=tuple(reasons),
        limitations=_not_adequate(qc),
        entries=(),
        alterations=(),
    )


def _not_adequate(qc: QualityControl) -> tuple[str, ...]:
    return tuple(f"{item.kind}: {item.reason}" for item in qc.evidence if not item.adequate)


def _actionable(drug: str, best: Contribution, inferred: bool, kb: KnowledgeBase, tracer: Tracer) -> bool:
    """Actionable only with a published predicted resistance rate at or above the threshold (CRBN.md 1)."""
    threshold = kb.thresholds.value("actionable_resistance_rate")
    rate = best.entry.predicted_resistance_rate
    actionable = best.call is Call.RESISTANCE_LIKELY and rate is not None and rate >= threshold and not inferred
    outcome = f"{actionable}: predicted resistance rate {rate if rate is not None else 'not published'}"
    tracer.add("drug.actionable", drug, "thresholds.actionable_resistance_rate", outcome)
    return actionable


def _text(drug: str, call: Call, kb: KnowledgeBase, *, actionable: bool, inferred: bool, flags: tuple[str, ...]) -> str:
    """The report sentence for the verdict, followed by the caveats that apply to it."""
    notes = kb.wording.notes
    rate = f"{kb.thresholds.value('actionable_resistance_rate'):.0%}"
    parts = [kb.wording.calls[call.value]]
    if call in (Call.RESISTANCE_LIKELY, Call.RESISTANCE_POSSIBLE) and not actionable:
        parts.append(notes["not_actionable"])
    parts += [notes[flag] for flag in ("subclonal", "below_lod", "filtered") if flag in flags]
    if inferred:
        parts.append(notes["inferred"])
    return " ".join(part.format(drug=drug, rate=rate) for part in parts)
