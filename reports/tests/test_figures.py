"""The CRBN lollipop: geometry from CRBN.md section 3, shapes as well as colours, escaping, a fixed viewBox."""

import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest

from reports import figures
from reports.figures import lollipop_svg, residue_x, span_x

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


@pytest.fixture
def pocket_cluster() -> ET.Element:
    relapse = [(380, "Trp380Cys"), (386, "Trp386Gly"), (391, "Cys391Arg"), (394, "Cys394Tyr"), (283, "Arg283His")]
    return parse(lollipop_svg(variants_relapse=relapse, variants_baseline=[(283, "Arg283His")]))


def test_the_protein_spans_the_plot_and_residues_are_centred():
    assert span_x(1, 442) == (figures.PLOT_LEFT, pytest.approx(figures.PLOT_WIDTH))
    assert residue_x(1) == pytest.approx(figures.PLOT_LEFT + figures.PLOT_WIDTH / 442 / 2)
    assert residue_x(442) == pytest.approx(figures.PLOT_RIGHT - figures.PLOT_WIDTH / 442 / 2)


def test_domains_are_drawn_at_their_residues(pocket_cluster):
    domains = [element for element in pocket_cluster.iter(f"{SVG}rect") if element.get("class") == "domain"]

    drawn = [(float(item.get("x")), float(item.get("width")), item.find(f"{SVG}title").text) for item in domains]
    expected = [(1, 45, "Disordered"), (81, 319, "Lon N-terminal"), (318, 426, "CULT / TBD")]
    for (x, width, title), (start, end, name) in zip(drawn, expected, strict=True):
        assert title.startswith(name)
        assert (x, width) == pytest.approx(span_x(start, end), abs=0.05)


def test_zinc_ligands_and_drug_contacts_are_marked_with_different_shapes(pocket_cluster):
    zinc = marker_groups(pocket_cluster, "zinc-ligand")
    contacts = marker_groups(pocket_cluster, "drug-contact")

    assert {int(item.get("data-residue")) for item in zinc} == {323, 326, 391, 394}
    assert {int(item.get("data-residue")) for item in contacts} == {378, 380, 386}
    triangle = zinc[0].find(f"{SVG}polygon").get("points").split()
    assert len(triangle) == 3
    assert float(triangle[0].split(",")[0]) == pytest.approx(residue_x(323), abs=0.05)
    assert len(contacts[0].find(f"{SVG}polygon").get("points").split()) == 4


def marker_groups(root: ET.Element, kind: str) -> list[ET.Element]:
    return [element for element in root.iter(f"{SVG}g") if element.get("class") == kind]


def test_relapse_and_baseline_differ_in_shape_and_the_legend_names_them(pocket_cluster):
    circles = list(pocket_cluster.iter(f"{SVG}circle"))
    squares = [item for item in pocket_cluster.iter(f"{SVG}rect") if item.get("fill") == "#ffffff"]

    assert len(circles) == 5 + 1  # five relapse heads and the legend's
    assert len(squares) == 1 + 1  # one baseline head and the legend's
    assert {"Relapse", "Baseline", "Zinc ligand", "Drug contact"} <= set(texts(pocket_cluster))
    heads = sorted(float(item.get("cx")) for item in circles[1:])
    assert heads == pytest.approx(sorted(residue_x(position) for position in (283, 380, 386, 391, 394)), abs=0.05)


def test_clustered_labels_do_not_overlap(pocket_cluster):
    labels = [item for item in pocket_cluster.iter(f"{SVG}text") if item.text and item.text[:3] in {"Trp", "Cys"}]
    rows: dict[str, list[tuple[float, float]]] = {}
    for label in labels:
        half = len(label.text) * figures.CHAR_WIDTH / 2
        rows.setdefault(label.get("y"), []).append((float(label.get("x")) - half, float(label.get("x")) + half))

    for spans in rows.values():
        spans.sort()
        assert all(left[1] <= right[0] for left, right in pairwise(spans))


def test_the_viewbox_is_fixed_whatever_the_variants():
    empty = parse(lollipop_svg(variants_relapse=[], variants_baseline=[]))
    crowded = parse(lollipop_svg(variants_relapse=[(n, f"Xaa{n}Yaa") for n in range(1, 442, 9)], variants_baseline=[]))

    assert empty.get("viewBox") == crowded.get("viewBox") == f"0 0 {figures.WIDTH} {figures.HEIGHT}"
    assert texts(empty).count("No variant with a protein position") == 2


def test_text_from_lab_files_is_escaped():
    svg = lollipop_svg(variants_relapse=[(380, '<script>alert("x")</script>')], variants_baseline=[(5, "a&b")])

    assert "<script>" not in svg
    root = parse(svg)  # still well-formed XML
    assert '<script>alert("x")</script>' in texts(root)
    assert "a&b" in texts(root)
    assert '<script>alert("x")</script> (residue 380)' in root.find(f"{SVG}desc").text


def test_it_has_an_accessible_title_and_description_and_skips_positions_off_the_protein():
    root = parse(lollipop_svg(variants_relapse=[(391, "Cys391Arg"), (500, "Off500")], variants_baseline=[]))

    assert root.get("role") == "img"
    assert "NP_057386.2" in root.find(f"{SVG}title").text
    description = root.find(f"{SVG}desc").text
    assert "Relapse: Cys391Arg (residue 391)." in description
    assert "1 outside residues 1-442, not drawn." in description
    assert "Baseline: no variant with a protein position." in description
    assert "Off500" not in texts(root)
