"""The CRBN lollipop figure as an SVG string. Pure Python, no Django.

One builder serves the browser preview and the PDF (DESIGN.md: figures are server-side SVG), so the viewBox is
fixed and every colour, shape and font is a presentation attribute: no stylesheet can make the two differ.
Protein architecture from domain/CRBN.md section 3 (UniProt Q96SW2, PDB 4TZ4), canonical numbering
(NP_057386.2, 442 aa). Relapse and baseline differ in shape and lane as well as colour, so the figure survives
greyscale print. Every text node is escaped: variant labels come from lab files.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

PROTEIN_LENGTH = 442
PROTEIN = "NP_057386.2"

WIDTH = 760
HEIGHT = 260
PLOT_LEFT = 76  # room for the lane labels
PLOT_RIGHT = 744
PLOT_WIDTH = PLOT_RIGHT - PLOT_LEFT
RESIDUE_WIDTH = PLOT_WIDTH / PROTEIN_LENGTH

LEGEND_Y = 14
RELAPSE_FLOOR = 94
BASELINE_FLOOR = 170
STEM = 18  # from the lane's floor to the head
LEADER = 16  # from the head up to the nearest label row
LABEL_ROWS = 2  # used when one row cannot hold every label
ROW_HEIGHT = 14
LABEL_LEFT = 30  # labels may extend into the lane-label margin, never past the figure's edge
LABEL_GAP = 12
CHAR_WIDTH = 6.2  # rough width of one 10.5-unit character, to place labels
BAR_Y = 184
BAR_HEIGHT = 18
MARKER_Y = BAR_Y + BAR_HEIGHT + 3
AXIS_Y = 230

INK, MUTED, RULE = "#1b1f24", "#4a5560", "#c9d0d6"
RELAPSE_COLOUR = "#a4161a"
BASELINE_COLOUR = "#0b5394"
CONTACT_COLOUR = "#b35c00"


@dataclass(frozen=True)
class Domain:
    start: int
    end: int
    label: str
    fill: str


@dataclass(frozen=True)
class Residue:
    position: int
    label: str


DOMAINS = (
    Domain(1, 45, "Disordered", "#eceff2"),
    Domain(81, 319, "Lon N-terminal 81\u2013319", "#dbe5f0"),
    Domain(318, 426, "CULT / TBD 318\u2013426", "#f6e3c8"),
)
ZINC_LIGANDS = (Residue(323, "C323"), Residue(326, "C326"), Residue(391, "C391"), Residue(394, "C394"))
DRUG_CONTACTS = (Residue(378, "H378"), Residue(380, "W380"), Residue(386, "W386"))
TICKS = (1, 100, 200, 300, 400, PROTEIN_LENGTH)


def residue_x(position: int) -> float:
    """The x of a residue's centre."""
    return PLOT_LEFT + (position - 0.5) * RESIDUE_WIDTH


def span_x(start: int, end: int) -> tuple[float, float]:
    """(x, width) of residues start..end inclusive."""
    return PLOT_LEFT + (start - 1) * RESIDUE_WIDTH, (end - start + 1) * RESIDUE_WIDTH


def lollipop_svg(*, variants_relapse: list[tuple[int, str]], variants_baseline: list[tuple[int, str]]) -> str:
    """The protein with its domains and key residues, relapse variants in the upper lane (filled circles) and
    baseline variants in the lower lane (open squares). Variants are (canonical residue, label)."""
    relapse, baseline = _drawable(variants_relapse), _drawable(variants_baseline)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="figure-svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="lollipop-title lollipop-desc" '
        'font-family="DejaVu Sans, Verdana, sans-serif" font-size="10.5">',
        f'<title id="lollipop-title">CRBN protein ({PROTEIN}, {PROTEIN_LENGTH} aa): small variants at relapse and '
        "at baseline</title>",
        f'<desc id="lollipop-desc">{escape(_description(variants_relapse, variants_baseline))}</desc>',
        _legend(),
        *_lane("Relapse", RELAPSE_FLOOR, relapse, _circle),
        *_lane("Baseline", BASELINE_FLOOR, baseline, _square),
        *_protein_bar(),
        *_residue_markers(),
        *_axis(),
        "</svg>",
    ]
    return "\n".join(parts)


def _drawable(variants: Sequence[tuple[int, str]]) -> list[tuple[int, str]]:
    return sorted((position, label) for position, label in variants if 1 <= position <= PROTEIN_LENGTH)


def _description(relapse: Sequence[tuple[int, str]], baseline: Sequence[tuple[int, str]]) -> str:
    domains = "; ".join(f"{item.label.split(' ')[0]} {item.start}-{item.end}" for item in DOMAINS)
    sentences = [
        f"Domains: {domains}.",
        f"Zinc ligands {', '.join(item.label for item in ZINC_LIGANDS)}; "
        f"(S)-thalidomide contacts {', '.join(item.label for item in DRUG_CONTACTS)}.",
        _track_sentence("Relapse", relapse),
        _track_sentence("Baseline", baseline),
    ]
    return " ".join(sentences)


def _track_sentence(name: str, variants: Sequence[tuple[int, str]]) -> str:
    inside = [
        f"{label} (residue {position})" for position, label in sorted(variants) if 1 <= position <= PROTEIN_LENGTH
    ]
    outside = len(variants) - len(inside)
    sentence = f"{name}: {', '.join(inside)}." if inside else f"{name}: no variant with a protein position."
    return sentence + (f" {outside} outside residues 1-{PROTEIN_LENGTH}, not drawn." if outside else "")


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _legend() -> str:
    y = LEGEND_Y
    return "".join(
        [
            _circle(PLOT_LEFT + 5, y - 4),
            _text(PLOT_LEFT + 14, y, "Relapse", fill=INK),
            _square(PLOT_LEFT + 82, y - 4),
            _text(PLOT_LEFT + 91, y, "Baseline", fill=INK),
            _triangle(PLOT_LEFT + 164, y - 8),
            _text(PLOT_LEFT + 173, y, "Zinc ligand", fill=INK),
            _diamond(PLOT_LEFT + 256, y - 9),
            _text(PLOT_LEFT + 265, y, "Drug contact", fill=INK),
        ]
    )


def _circle(x: float, y: float) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{RELAPSE_COLOUR}" stroke="{INK}" stroke-width="0.8"/>'


def _square(x: float, y: float) -> str:
    return (
        f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#ffffff" '
        f'stroke="{BASELINE_COLOUR}" stroke-width="2"/>'
    )


def _triangle(x: float, y: float) -> str:
    """Pointing up at the bar, tip at (x, y)."""
    return f'<polygon points="{x:.1f},{y:.1f} {x + 3.5:.1f},{y + 8:.1f} {x - 3.5:.1f},{y + 8:.1f}" fill="{INK}"/>'


def _diamond(x: float, y: float) -> str:
    """Top at (x, y)."""
    points = f"{x:.1f},{y:.1f} {x + 3.5:.1f},{y + 5:.1f} {x:.1f},{y + 10:.1f} {x - 3.5:.1f},{y + 5:.1f}"
    return f'<polygon points="{points}" fill="{CONTACT_COLOUR}" stroke="{INK}" stroke-width="0.5"/>'


def _lane(
    name: str, floor: float, variants: Sequence[tuple[int, str]], head: Callable[[float, float], str]
) -> list[str]:
    """One track: heads on short stems, labels spread along one or two rows above them with leader lines, so a
    cluster of variants (the binding pocket spans a few residues) stays legible."""
    parts = [
        _text(PLOT_LEFT - 8, floor - 2, name, text_anchor="end", font_weight="bold", fill=INK),
        f'<line x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{floor}" y2="{floor}" stroke="{RULE}" stroke-width="1"/>',
    ]
    if not variants:
        parts.append(_text(PLOT_LEFT + 6, floor - 6, "No variant with a protein position", fill=MUTED))
    head_y = floor - STEM
    for (position, label), row, label_x in _placed(variants):
        x = residue_x(position)
        baseline = floor - STEM - LEADER - (LABEL_ROWS - 1 - row) * ROW_HEIGHT
        leader = f"{x:.1f},{head_y - 5:.1f} {x:.1f},{head_y - 8:.1f} {label_x:.1f},{baseline + 3:.1f}"
        parts.append(
            f"<g><title>{escape(f'{name}: {label} (residue {position})')}</title>"
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{floor}" y2="{head_y:.1f}" stroke="{MUTED}" stroke-width="1"/>'
            f'<polyline points="{leader}" fill="none" stroke="{MUTED}" stroke-width="0.7"/>'
            f"{head(x, head_y)}{_text(label_x, baseline, label, text_anchor='middle', fill=INK)}</g>"
        )
    return parts


def _placed(variants: Sequence[tuple[int, str]]) -> list[tuple[tuple[int, str], int, float]]:
    """(variant, label row, label centre). One row when the labels fit side by side, else alternate rows; within a
    row each label is pushed right of its neighbour, then the row is pushed back left inside the plot."""
    widths = [len(label) * CHAR_WIDTH + LABEL_GAP for _, label in variants]
    rows = 1 if sum(widths) <= WIDTH - LABEL_LEFT else LABEL_ROWS
    placed: list[tuple[tuple[int, str], int, float]] = []
    for row in range(rows):
        members = list(range(row, len(variants), rows))
        centres = _spread([residue_x(variants[i][0]) for i in members], [widths[i] for i in members])
        placed += [
            (variants[i], row if rows > 1 else LABEL_ROWS - 1, centre)
            for i, centre in zip(members, centres, strict=True)
        ]
    return sorted(placed)


def _spread(wanted: Sequence[float], widths: Sequence[float]) -> list[float]:
    """Label centres as close to ``wanted`` as possible without overlap, between LABEL_LEFT and WIDTH."""
    centres: list[float] = []
    right = LABEL_LEFT
    for centre, width in zip(wanted, widths, strict=True):
        centre = max(centre, right + width / 2)
        centres.append(centre)
        right = centre + width / 2
    left = WIDTH
    for index in reversed(range(len(centres))):
        centres[index] = min(centres[index], left - widths[index] / 2)
        left = centres[index] - widths[index] / 2
    return centres


def _protein_bar() -> list[str]:
    parts = [
        f'<rect x="{PLOT_LEFT}" y="{BAR_Y + 6}" width="{PLOT_WIDTH}" height="{BAR_HEIGHT - 12}" fill="{RULE}"/>',
    ]
    for domain in DOMAINS:
        x, width = span_x(domain.start, domain.end)
        parts.append(
            f'<rect class="domain" x="{x:.1f}" y="{BAR_Y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{domain.fill}" stroke="{MUTED}" stroke-width="0.8"><title>{escape(domain.label)}</title></rect>'
        )
        parts.append(_text(x + width / 2, BAR_Y + 12.5, domain.label, text_anchor="middle", fill=INK, font_size="9.5"))
    return parts


def _residue_markers() -> list[str]:
    parts = []
    for residue in ZINC_LIGANDS:
        tick = f"<title>Zinc ligand {residue.label}</title>{_triangle(residue_x(residue.position), MARKER_Y)}"
        parts.append(f'<g class="zinc-ligand" data-residue="{residue.position}">{tick}</g>')
    for residue in DRUG_CONTACTS:
        tick = f"<title>Drug contact {residue.label}</title>{_diamond(residue_x(residue.position), MARKER_Y + 9)}"
        parts.append(f'<g class="drug-contact" data-residue="{residue.position}">{tick}</g>')
    return parts


def _axis() -> list[str]:
    parts = [f'<line x1="{PLOT_LEFT}" x2="{PLOT_RIGHT}" y1="{AXIS_Y}" y2="{AXIS_Y}" stroke="{MUTED}"/>']
    for position in TICKS:
        x = residue_x(position)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{AXIS_Y}" y2="{AXIS_Y + 4}" stroke="{MUTED}"/>')
        parts.append(_text(x, AXIS_Y + 15, str(position), text_anchor="middle", fill=MUTED))
    parts.append(_text(PLOT_LEFT - 8, AXIS_Y + 15, "Residue", text_anchor="end", fill=MUTED))
    return parts
