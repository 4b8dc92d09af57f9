"""Treatment context: exposure and IMWG refractoriness per drug, first progression, and the testing setting.

IMWG (Kumar, Lancet Oncol 2016; CRBN.md section 5): refractory to a drug = progression on therapy with it or
within 60 days of its last dose (the window is thresholds.yaml ``refractory_window_days``); first relapse = the
first progression in line order. The same rule as patients/refractoriness.py, restated here because the engine
imports nothing of the project: a line's end is each drug's last dose unless ``drug_last_doses`` says earlier.

The evidence setting (Gooding 2021 and its commentary): CRBN testing at the first progression of Len/Pom-exposed
patients. The context never changes a verdict; it adds notes when the sample lies outside that setting.
"""

from __future__ import annotations

from datetime import date

from .facts import SampleFacts, TreatmentLineFact
from .kb import KnowledgeBase
from .results import DrugContext, LineSummary, Tracer, TreatmentContext

EVIDENCE_DRUGS = ("lenalidomide", "pomalidomide")


def refractory_on_line(line: TreatmentLineFact, drug: str, window_days: int) -> bool:
    """Progression while the drug was still given (no last dose yet, or progression before it), or within the
    window after its last dose: day 60 is refractory, day 61 is not."""
    if line.progression is None:
        return False
    last = line.last_dose(drug)
    return last is None or (line.progression - last).days <= window_days


def _ordered(lines: tuple[TreatmentLineFact, ...]) -> list[TreatmentLineFact]:
    return sorted(lines, key=lambda item: (item.line, item.start or date.min, item.drug_names))


def _summary(line: TreatmentLineFact, window: int) -> LineSummary:
    refractory = tuple(drug for drug in line.drug_names if refractory_on_line(line, drug, window))
    return LineSummary(
        line.line, line.drug_names, line.start, line.end, line.best_response, line.progression, refractory
    )


def drug_context(drug: str, lines: list[TreatmentLineFact], window: int, tracer: Tracer) -> DrugContext:
    """Whether the patient received the drug, and the first line that made them refractory to it."""
    given = [item for item in lines if drug in item.drug_names]
    if not given:
        note = f"{drug} never received: the verdict extrapolates beyond the patients in whom CRBN was studied"
        return DrugContext(drug, False, None, None, (), note)
    refractory_line = next((item.line for item in given if refractory_on_line(item, drug, window)), None)
    outcome = f"refractory from line {refractory_line}" if refractory_line else "exposed, not refractory"
    tracer.add("context.refractory", drug, "thresholds.refractory_window_days", outcome)
    return DrugContext(
        drug, True, refractory_line is not None, refractory_line, tuple(item.line for item in given), None
    )


def treatment_context(
    sample: SampleFacts, lines: tuple[TreatmentLineFact, ...], kb: KnowledgeBase, tracer: Tracer
) -> TreatmentContext:
    """Exposure, refractoriness and first progression, with notes on the testing setting."""
    ordered = _ordered(lines)
    window = int(kb.thresholds.value("refractory_window_days"))
    drugs = tuple(drug_context(drug, ordered, window, tracer) for drug in kb.drugs)
    first = next((item for item in ordered if item.progression is not None), None)
    tracer.add("context.first_progression", "lines", None, f"line {first.line}" if first else "none recorded")
    at_first, notes = _setting(sample, ordered, first, drugs)
    tracer.add("context.setting", "sample", None, "; ".join(notes) or "at first progression")
    return TreatmentContext(
        drugs=drugs,
        lines=tuple(_summary(item, window) for item in ordered),
        first_progression=first.progression if first else None,
        first_progression_line=first.line if first else None,
        at_first_progression=at_first,
        notes=notes,
    )


def _setting(
    sample: SampleFacts, lines: list[TreatmentLineFact], first: TreatmentLineFact | None, drugs: tuple[DrugContext, ...]
) -> tuple[bool | None, tuple[str, ...]]:
    """Whether the sample was taken at the first progression of a Len/Pom-exposed patient."""
    if not lines:
        return None, ("no treatment history: exposure, refractoriness and the testing setting are unknown",)
    notes = []
    if not any(item.exposed for item in drugs if item.drug in EVIDENCE_DRUGS):
        notes.append("outside the evidence setting: never exposed to lenalidomide or pomalidomide")
    at_first, timing = _timing(sample.collected, lines, first)
    return at_first, (*notes, *timing)


def _timing(
    collected: date | None, lines: list[TreatmentLineFact], first: TreatmentLineFact | None
) -> tuple[bool | None, tuple[str, ...]]:
    """At first progression = collected on or after it and before any later line started."""
    if first is None or first.progression is None:
        return False, ("no progression recorded: the sample is not from a recorded relapse",)
    if collected is None:
        return None, ("collection date unknown: whether the sample is from the first progression is not known",)
    if collected < first.progression:
        return False, (f"collected before the first progression ({first.progression.isoformat()})",)
    later = [item for item in lines if item.line > first.line and item.start is not None and item.start <= collected]
    if later:
        return False, (f"collected after line {later[0].line} started: not at first progression",)
    return True, ()
