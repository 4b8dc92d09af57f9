"""Treatment-timeline geometry: lines of therapy in, SVG coordinates out. Pure Python, no Django.

The template draws what this module computes, so the same figure serves the browser and the PDF (DESIGN.md:
figures are server-side SVG). Refractory lines are hatched and labelled, never marked by colour alone.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 760
LEFT = 64  # room for the "Line N" row labels
RIGHT = 16
TOP = 8
ROW_HEIGHT = 44
BAR_HEIGHT = 14
LABEL_BASELINE = 14  # regimen label sits above its bar, inside the row
BAR_OFFSET = 20
AXIS_HEIGHT = 28
TICK_LABEL_OFFSET = 18
CHAR_WIDTH = 7  # rough width of one 12px character, to keep labels inside the figure
MIN_BAR_WIDTH = 2  # a line that started and stopped on one day must still be visible
MAX_TICKS = 10


@dataclass(frozen=True)
class LineSpan:
    """What the timeline needs of one treatment line. ``end`` None means ongoing."""

    number: int
    regimen: str
    start: date
    end: date | None
    progression: date | None
    refractory_drugs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bar:
    """One line's row: its bar, its label and its markers, in SVG user units."""

    number: int
    x: float
    y: float
    width: float
    height: float
    row_label_y: float
    label: str
    label_x: float
    label_y: float
    label_anchor: str
    refractory: bool
    ongoing: bool
    progression_points: str  # a diamond polygon, or "" without progression
    ongoing_points: str  # an arrowhead polygon past the bar's end, or "" when the line ended
    description: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    plot_top: float
    axis_y: float
    tick_label_y: float
    plot_left: float
    plot_right: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    description: str


@dataclass(frozen=True)
class Axis:
    """Maps dates to x between whole years, so year ticks fall on the plot's edges."""

    first: date
    last: date

    def x(self, day: date) -> float:
        span = (self.last - self.first).days
        return LEFT + (day - self.first).days / span * (WIDTH - LEFT - RIGHT)


def build_timeline(lines: Sequence[LineSpan], *, today: date) -> Timeline | None:
    """The figure for these lines, or None when there are none to draw."""
    if not lines:
        return None
    ordered = sorted(lines, key=lambda line: line.number)
    axis = _axis(ordered, today)
    bars = tuple(_bar(line, row, axis, today) for row, line in enumerate(ordered))
    axis_y = TOP + len(bars) * ROW_HEIGHT
    return Timeline(
        width=WIDTH,
        height=int(axis_y + AXIS_HEIGHT),
        plot_top=TOP,
        axis_y=axis_y,
        tick_label_y=axis_y + TICK_LABEL_OFFSET,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        bars=bars,
        ticks=_ticks(axis),
        description=" ".join(bar.description for bar in bars),
    )


def _axis(lines: Sequence[LineSpan], today: date) -> Axis:
    first = min(line.start for line in lines)
    last = max(max(_drawn_end(line, today), line.progression or line.start) for line in lines)
    return Axis(first=date(first.year, 1, 1), last=date(last.year + 1, 1, 1))


def _drawn_end(line: LineSpan, today: date) -> date:
    """An ongoing line runs to today (or to its start, if the data lie in the future)."""
    return line.end if line.end is not None else max(today, line.start)


def _ticks(axis: Axis) -> tuple[Tick, ...]:
    """One tick per year, thinned to at most MAX_TICKS so long histories stay legible."""
    years = range(axis.first.year, axis.last.year + 1)
    step = math.ceil(len(years) / MAX_TICKS)
    return tuple(Tick(x=axis.x(date(year, 1, 1)), label=str(year)) for year in years[::step])


def _bar(line: LineSpan, row: int, axis: Axis, today: date) -> Bar:
    top = TOP + row * ROW_HEIGHT
    x = axis.x(line.start)
    width = max(axis.x(_drawn_end(line, today)) - x, MIN_BAR_WIDTH)
    y = top + BAR_OFFSET
    label = _label(line)
    label_x, anchor = _label_position(x, label)
    return Bar(
        number=line.number,
        x=x,
        y=y,
        width=width,
        height=BAR_HEIGHT,
        row_label_y=y + BAR_HEIGHT - 3,
        label=label,
        label_x=label_x,
        label_y=top + LABEL_BASELINE,
        label_anchor=anchor,
        refractory=bool(line.refractory_drugs),
        ongoing=line.end is None,
        progression_points=_diamond(axis.x(line.progression), y) if line.progression else "",
        ongoing_points=_arrowhead(x + width, y) if line.end is None else "",
        description=describe(line),
    )


def _label(line: LineSpan) -> str:
    parts = [line.regimen]
    if line.end is None:
        parts.append("ongoing")
    if line.refractory_drugs:
        parts.append("refractory")
    return " · ".join(parts)


def _label_position(x: float, label: str) -> tuple[float, str]:
    """Start the label at the bar; right-align it to the figure's edge when it would run off."""
    if x + len(label) * CHAR_WIDTH <= WIDTH - RIGHT:
        return x, "start"
    return WIDTH - RIGHT, "end"


def _diamond(x: float, y: float) -> str:
    middle = y + BAR_HEIGHT / 2
    return _points([(x, y - 3), (x + 6, middle), (x, y + BAR_HEIGHT + 3), (x - 6, middle)])


def _arrowhead(x: float, y: float) -> str:
    return _points([(x, y - 2), (x + 8, y + BAR_HEIGHT / 2), (x, y + BAR_HEIGHT + 2)])


def _points(pairs: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in pairs)


def describe(line: LineSpan) -> str:
    """One sentence per line, for the SVG's <desc> and the bar's tooltip."""
    until = f"to {line.end.isoformat()}" if line.end else "ongoing"
    sentence = f"Line {line.number}, {line.regimen}: from {line.start.isoformat()} {until}"
    if line.progression:
        sentence += f"; progression {line.progression.isoformat()}"
    if line.refractory_drugs:
        sentence += f"; refractory to {', '.join(line.refractory_drugs)}"
    return sentence + "."
