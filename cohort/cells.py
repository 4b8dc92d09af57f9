"""How a proportion is shown to registry readers: counts 1-4 become "<5", a count whose complement (those without)
is 1-4 becomes "all but <5", and a suppressed cell shows neither share nor interval (either would give the count
back). Pure Python."""

from dataclasses import dataclass

from .stats import ALL_BUT_SUPPRESSED, Proportion, is_small, shown_count


@dataclass(frozen=True)
class ShownCell:
    count: str
    total: str
    percent: str
    interval: str

    @property
    def text(self) -> str:
        share = f" ({self.percent}, 95% CI {self.interval})" if self.percent else ""
        return f"{self.count}/{self.total}{share}"


def shown(proportion: Proportion) -> ShownCell:
    if proportion.suppressed or proportion.low is None or proportion.high is None:
        return ShownCell(_shown_numerator(proportion), shown_count(proportion.total), "", "")
    return ShownCell(
        str(proportion.count),
        str(proportion.total),
        f"{proportion.count / proportion.total:.1%}",
        f"{proportion.low:.1%}-{proportion.high:.1%}",
    )


def _shown_numerator(proportion: Proportion) -> str:
    """The count, unless it gives back a small complement (those without): then only that the complement is
    under 5. A count that is small itself stays "<5"."""
    count, total = proportion.count, proportion.total
    if not is_small(count) and not is_small(total) and is_small(total - count):
        return ALL_BUT_SUPPRESSED
    return shown_count(count)
