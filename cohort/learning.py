"""The learning loop behind the 80-90% rule (CRBN.md section 1): per alteration class and drug, the observed share
of patients who did not respond to a later line with that drug. Pure Python, no Django.

Non-response (an implementation choice, stated on the page): best IMWG response below PR (MR, SD, PD), or
progression within ``early_days`` of the line's start. A line without a recorded response and without early
progression is not evaluable and left out. Each patient counts once per class and drug: the first line with the
drug after their first relapse sample showing the class. "None" rows are patients whose sample could rule out
every class A-H, the comparison the table needs.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .dataset import ANY_ALTERATION, CLASS_LETTERS, RegistryLine, RegistryPatient, RegistrySample
from .stats import Proportion, wilson

DEFAULT_EARLY_DAYS = 180
NO_RESPONSE = frozenset({"MR", "SD", "PD"})
RESPONSE = frozenset({"sCR", "CR", "VGPR", "PR"})
NONE_ROW = "none"


class Agreement:
    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    NEW_EVIDENCE = "new_evidence"
    UNDECIDED = "undecided"
    LABELS = {
        SUPPORTS: "Data support the entry",
        CONTRADICTS: "Data contradict the entry",
        NEW_EVIDENCE: "Data decide what the entry leaves open",
        UNDECIDED: "Not enough data",
    }


@dataclass(frozen=True)
class LoopCell:
    alteration_class: str
    drug: str
    observed: Proportion  # patients without response / evaluable patients
    entry_call: str  # the knowledge base's call for this class and drug ("" for the "none" row)
    agreement: str


def non_response(line: RegistryLine, early_days: int) -> bool | None:
    """True without response, False with one, None when the line cannot tell."""
    if line.progression is not None and (line.progression - line.start).days <= early_days:
        return True
    if line.best_response in NO_RESPONSE:
        return True
    return False if line.best_response in RESPONSE else None


def _first_sample_with(patient: RegistryPatient, letter: str) -> RegistrySample | None:
    relapses = sorted((s for s in patient.samples if s.timepoint != "baseline"), key=lambda s: s.collected)
    if letter == NONE_ROW:
        return next((s for s in relapses if s.assessable_for(ANY_ALTERATION)), None)
    return next((s for s in relapses if letter in s.found), None)


def outcomes(patients: Iterable[RegistryPatient], letter: str, drug: str, early_days: int) -> list[bool]:
    results = []
    for patient in patients:
        sample = _first_sample_with(patient, letter)
        if sample is None or (letter == NONE_ROW and sample.detected(ANY_ALTERATION)):
            continue
        line = next((item for item in patient.lines_after(sample.collected) if drug in item.drugs), None)
        outcome = non_response(line, early_days) if line else None
        if outcome is not None:
            results.append(outcome)
    return results


def agreement(call: str, observed: Proportion, threshold: float) -> str:
    """Whether the 95% interval lies wholly above the actionability threshold (resistance observed), wholly below
    it (not observed), or straddles it; then compared with what the entry expects."""
    if observed.low is None or observed.high is None or observed.low < threshold <= observed.high:
        return Agreement.UNDECIDED
    resistant = observed.low >= threshold
    expected = {"resistant": True, "likely_sensitive": False}.get(call)
    if expected is None:
        return Agreement.NEW_EVIDENCE
    return Agreement.SUPPORTS if expected == resistant else Agreement.CONTRADICTS


def learning_loop(
    patients: Sequence[RegistryPatient],
    drugs: Sequence[str],
    calls: Mapping[tuple[str, str], str],
    threshold: float,
    early_days: int = DEFAULT_EARLY_DAYS,
) -> list[list[LoopCell]]:
    """Rows: classes A-I, then "none"; columns: drugs. ``calls`` maps (class, drug) to the entry's call."""
    rows = []
    for letter in (*CLASS_LETTERS, NONE_ROW):
        row = []
        for drug in drugs:
            results = outcomes(patients, letter, drug, early_days)
            observed = wilson(sum(results), len(results))
            call = calls.get((letter, drug), "")
            row.append(LoopCell(letter, drug, observed, call, agreement(call, observed, threshold) if call else ""))
        rows.append(row)
    return rows
