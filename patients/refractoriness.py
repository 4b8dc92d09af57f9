"""IMWG refractoriness and first relapse, derived from treatment lines. Pure Python, no Django.

IMWG (Kumar et al., Lancet Oncol 2016; domain/CRBN.md section 5): a patient is refractory to a drug when the
disease progressed on therapy with it or within 60 days of its last dose. First relapse ends line 1, so it is
the first progression in line order.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

REFRACTORY_WINDOW_DAYS = 60


@dataclass(frozen=True)
class LineFacts:
    """What the rule needs of one treatment line.

    IMWG refractoriness is per drug: bortezomib given only as induction before lenalidomide maintenance has its
    own, earlier last dose, so a relapse on maintenance makes the patient lenalidomide-refractory only.
    """

    number: int
    drugs: frozenset[str]
    end: date | None  # the line's last dose; None while the line is ongoing
    progression: date | None
    drug_last_doses: tuple[tuple[str, date], ...] = ()  # drugs stopped before the line's last dose

    def last_dose_of(self, drug: str) -> date | None:
        return dict(self.drug_last_doses).get(drug, self.end)

    def refractory_drugs(self) -> frozenset[str]:
        return frozenset(
            drug for drug in self.drugs if line_is_refractory(end=self.last_dose_of(drug), progression=self.progression)
        )


def line_is_refractory(*, end: date | None, progression: date | None) -> bool:
    """Progression on therapy (no end yet, or before the end) or within 60 days of the last dose."""
    if progression is None:
        return False
    if end is None:
        return True
    return (progression - end).days <= REFRACTORY_WINDOW_DAYS


def refractory_drugs(lines: Iterable[LineFacts]) -> dict[str, int]:
    """Each drug the patient is refractory to, with the first line that made them so."""
    refractory: dict[str, int] = {}
    for line in sorted(lines, key=lambda item: item.number):
        for drug in sorted(line.refractory_drugs()):
            refractory.setdefault(drug, line.number)
    return refractory


def first_relapse_date(lines: Iterable[LineFacts]) -> date | None:
    """The first progression in line order: the end of line 1, or of a later line if line 1 was changed
    for toxicity without progression."""
    for line in sorted(lines, key=lambda item: item.number):
        if line.progression is not None:
            return line.progression
    return None
