"""Proportions with 95% Wilson score intervals, and small-cell suppression. Pure Python, no Django.

Wilson (JASA 1927) rather than the Wald interval: registry cells are often small or near 0% / 100%, where the
Wald interval collapses to a point or leaves [0, 1].
"""

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95%
# Counts from 1 to 4 could single out a patient; 0 reveals nobody and is shown.
SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
ALL_BUT_SUPPRESSED = "all but <5"  # a count whose complement is 1-4: that much is known, and no more


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``total`` with its 95% Wilson interval; ``low`` and ``high`` are None when total is 0."""

    count: int
    total: int
    low: float | None
    high: float | None

    @property
    def fraction(self) -> float | None:
        return self.count / self.total if self.total else None

    @property
    def suppressed(self) -> bool:
        """Whether the cell must be hidden from researchers: a count, a denominator or the complement (those
        without, the denominator minus the count: 5/6 shows the one patient without) that could single out."""
        return is_small(self.count) or is_small(self.total) or is_small(self.total - self.count)


def wilson(count: int, total: int, z: float = Z_95) -> Proportion:
    if not 0 <= count <= total:
        raise ValueError(f"count {count} must lie between 0 and the total {total}")
    if total == 0:
        return Proportion(count, total, None, None)
    share = count / total
    denominator = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / denominator
    # At 0 and at 100% the exact bound is 0 or 1; floating point would leave 0.9999999999999999.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == total else min(1.0, centre + half)
    return Proportion(count, total, low, high)


def is_small(count: int) -> bool:
    return 0 < count < SUPPRESS_BELOW


def shown_count(count: int) -> str:
    """A count as a researcher may see it."""
    return SUPPRESSED if is_small(count) else str(count)
