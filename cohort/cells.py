"""How a proportion is shown to registry readers: counts 1-4 become "<5", and a suppressed cell shows neither
share nor interval (either would give the count back). Pure Python."""

from dataclasses import dataclass

from .stats import Proportion, shown_count


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
        return ShownCell(shown_count(proportion.count), shown_count(proportion.total), "", "")
    return ShownCell(
        str(proportion.count),
        str(proportion.total),
        f"{proportion.count / proportion.total:.1%}",
        f"{proportion.low:.1%}-{proportion.high:.1%}",
    )
