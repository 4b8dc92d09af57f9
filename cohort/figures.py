"""Kaplan-Meier figures as SVG (matplotlib, Agg), with the numbers at risk under the plot.

matplotlib is imported inside the function: the import costs about 0.4 s, which only a survival page pays.
The SVG carries no date and a fixed hash salt, so the same curves give the same bytes.
"""

import base64
import io

from .stats import shown_count
from .survival import TICK_MONTHS, SurvivalAnalysis

COLOURS = ("#1b6ca8", "#c0392b", "#2e8540", "#8e44ad", "#b7791f", "#555555")


def km_svg(analysis: SurvivalAnalysis) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = max(1, len(analysis.curves))
    figure = Figure(figsize=(7.5, 4.2 + 0.25 * rows))
    axes = figure.add_axes((0.2, 0.18 + 0.05 * rows, 0.76, 0.72 - 0.05 * rows))
    for colour, curve in zip(COLOURS, analysis.curves, strict=False):
        axes.step(curve.months, curve.survival, where="post", color=colour, label=f"{curve.label} (n={curve.patients})")
        axes.fill_between(curve.months, curve.low, curve.high, step="post", color=colour, alpha=0.12, linewidth=0)
    axes.set(xlim=(0, TICK_MONTHS[-1]), ylim=(0, 1.02), xticks=TICK_MONTHS, xlabel="Months", ylabel="Probability")
    axes.legend(loc="upper right", frameon=False, fontsize=8)
    _numbers_at_risk(figure, axes, analysis)
    return _svg(figure)


def _numbers_at_risk(figure, axes, analysis: SurvivalAnalysis) -> None:  # type: ignore[no-untyped-def]
    """One text row per curve, aligned with the x ticks; counts under 5 are suppressed."""
    figure.text(0.01, 0.05 * len(analysis.curves) + 0.02, "Number at risk", fontsize=8, weight="bold")
    for index, curve in enumerate(analysis.curves):
        y = 0.05 * (len(analysis.curves) - index - 1) + 0.01
        figure.text(0.01, y, curve.label[:18], fontsize=7, color=COLOURS[index % len(COLOURS)])
        for tick, count in zip(TICK_MONTHS, curve.at_risk, strict=True):
            x = axes.transData.transform((tick, 0))[0] / figure.bbox.width
            figure.text(x, y, shown_count(count), fontsize=7, ha="center")


def _svg(figure) -> str:  # type: ignore[no-untyped-def]
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "crbn-registry", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: the SVG is inlined in HTML


def svg_image_source(svg: str) -> str:
    """The SVG as a data URL for an <img>. matplotlib styles its shapes with style attributes, which the content
    security policy (no inline style) would strip from inlined SVG, leaving black boxes; an image is drawn in its
    own document, where the page's policy does not reach."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
