"""The knowledge base: the shipped release is valid and honest; malformed copies are refused by file and key."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.engine import KnowledgeBase, KnowledgeBaseError, load_kb, load_kb_texts
from rules.engine.kb import KB_DIR, KB_FILES

from .factories import DRUGS


def test_shipped_release_loads_with_its_id_and_every_cell(kb: KnowledgeBase) -> None:
    assert kb.release == "2026.11-draft1"
    assert kb.drugs == DRUGS
    assert tuple(kb.classes) == tuple("ABCDEFGHI")
    assert len(kb.calls) == 10 * 5  # nine classes plus "other", five drugs


def test_no_entry_is_tier_one_or_better_than_level_c(kb: KnowledgeBase) -> None:
    assert {entry.tier for entry in kb.calls.values()} <= {"II", "III"}
    assert {entry.level for entry in kb.calls.values()} <= {"C", "D"}


def test_every_entry_cites_a_listed_source_and_was_reviewed(kb: KnowledgeBase) -> None:
    for entry in kb.calls.values():
        assert entry.citations, entry.id
        assert set(entry.citations) <= set(kb.citations)
        assert entry.last_reviewed <= kb.date


def test_entries_resting_on_unverified_facts_are_inferred(kb: KnowledgeBase) -> None:
    unverified = [entry for entry in kb.calls.values() if entry.rests_on_unverified]
    assert [entry.id for entry in unverified] == ["G.thalidomide"]
    assert all(entry.basis == "inferred" for entry in unverified)


def test_only_biallelic_loss_predicts_resistance_to_celmods(kb: KnowledgeBase) -> None:
    for (letter, drug), entry in kb.calls.items():
        if drug in ("iberdomide", "mezigdomide"):
            assert entry.call == ("resistant" if letter == "E" else "unknown"), entry.id


def test_biallelic_loss_is_resistant_to_every_drug(kb: KnowledgeBase) -> None:
    assert {kb.call("E", drug).call for drug in DRUGS} == {"resistant"}


def test_no_entry_has_a_predicted_resistance_rate_because_no_source_gives_one(kb: KnowledgeBase) -> None:
    assert {entry.predicted_resistance_rate for entry in kb.calls.values()} == {None}


def test_numbers_without_a_source_are_inferred_implementation_defaults(kb: KnowledgeBase) -> None:
    defaults = {key for key, item in kb.thresholds.entries.items() if item.implementation_default}
    assert defaults == {"exon10_min_junction_depth", "min_coverage", "lod_vaf", "clonal_ccf", "germline_normal_alt_max"}
    for key in defaults:
        item = kb.thresholds.entries[key]
        assert item.basis == "inferred"
        assert "Implementation default, not from literature" in item.note


def test_skip_threshold_is_a_reference_point_not_a_validated_cut_off(kb: KnowledgeBase) -> None:
    item = kb.thresholds.entries["exon10_skip_fraction"]
    assert (item.value, item.validated, item.basis, item.assay) == (0.40, False, "inferred", "rna_seq_junctions")
    assert "NOT a validated cut-off" in item.note
    assert item.citations == ("blood_neoplasia2025",)


def test_class_b_residues_match_the_uniprot_sequence(kb: KnowledgeBase, domain_dir: Path) -> None:
    lines = (domain_dir / "CRBN_Q96SW2_protein.fasta").read_text().splitlines()
    fasta = "".join(line.strip() for line in lines if not line.startswith(">"))
    assert kb.numbering.sequence == fasta
    labels = [residue.label for residue in kb.matching.binding.residues]
    assert labels == ["C323", "C326", "C391", "C394", "H378", "W380", "Y384", "W386", "W400", "F402"]


def test_pocket_roles_crbn_md_leaves_unverified_are_marked(kb: KnowledgeBase) -> None:
    marked = [item.label for item in kb.matching.binding.residues if item.rests_on_unverified]
    assert marked == ["W400", "F402"]


def test_expression_thresholds_are_bound_to_their_assay(kb: KnowledgeBase) -> None:
    schuster = kb.matching.expression_threshold("schuster2014_gep")
    broyl = kb.matching.expression_threshold("affymetrix_218142_s_at+222533_at")
    assert schuster is not None and schuster.below == 0.81
    assert broyl is not None and broyl.below is None  # a cohort median split: no single-sample cut-off
    assert kb.matching.expression_threshold("TPM") is None


def test_release_checksum_covers_the_file_texts() -> None:
    texts = {name: (KB_DIR / name).read_text() for name in KB_FILES}
    same = load_kb_texts(texts)
    changed = load_kb_texts({**texts, "release.yaml": texts["release.yaml"] + "\n# reviewed\n"})
    assert same.sha256 == load_kb().sha256
    assert changed.sha256 != same.sha256


# ---- refusals -------------------------------------------------------------------------------------------------


def _plain(path: Path) -> Any:
    """The file's data with aliases expanded and dates as text, so one cell can change alone."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def broken_copy(tmp_path: Path, file: str, change: Callable[[Any], None]) -> Path:
    """A copy of the shipped knowledge base with one file's data changed."""
    for name in KB_FILES:
        shutil.copy(KB_DIR / name, tmp_path / name)
    data = _plain(tmp_path / file)
    change(data)
    (tmp_path / file).write_text(yaml.dump(data, Dumper=_NoAliases, sort_keys=False))
    return tmp_path


def _cell(data: Any, letter: str, drug: str) -> dict[str, Any]:
    cell: dict[str, Any] = data["classes"][letter]["drugs"][drug]
    return cell


REFUSALS: list[tuple[str, Callable[[Any], None], str]] = [
    (
        "calls.yaml",
        lambda d: _cell(d, "B", "lenalidomide").update(tier="I"),
        "calls.yaml: classes.B.drugs.lenalidomide.tier: 'I' is not allowed (CRBN alterations are never tier I)",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "A", "thalidomide").update(colour="red"),
        "calls.yaml: classes.A.drugs.thalidomide.colour: unknown key",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "C", "pomalidomide").pop("citations"),
        "calls.yaml: classes.C.drugs.pomalidomide.citations: required key missing",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "C", "pomalidomide").update(citations=[]),
        "calls.yaml: classes.C.drugs.pomalidomide.citations: must not be empty",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "F", "lenalidomide").update(citations=["smith2099"]),
        "calls.yaml: classes.F.drugs.lenalidomide.citations[0]: 'smith2099' is not a citation listed in release.yaml",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "G", "thalidomide").update(basis="structural"),
        "calls.yaml: classes.G.drugs.thalidomide.basis: 'structural' is not allowed (the entry rests on an UNVERIFIED",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "A", "iberdomide").update(call="resistant", tier="II"),
        "calls.yaml: classes.A.drugs.iberdomide.call: 'resistant' is not allowed (CELMoD sensitivity",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "B", "pomalidomide").update(level="A"),
        "calls.yaml: classes.B.drugs.pomalidomide.level: 'A' is not allowed (CRBN alterations are at best",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "C", "lenalidomide").update(tier="II"),
        "calls.yaml: classes.C.drugs.lenalidomide.tier: 'II' is not allowed for call 'unknown'",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "A", "lenalidomide").update(predicted_resistance_rate=0.9),
        "calls.yaml: classes.A.drugs.lenalidomide.predicted_resistance_rate: 0.9 is not allowed (a predicted",
    ),
    (
        "calls.yaml",
        lambda d: d["classes"]["D"]["drugs"].pop("mezigdomide"),
        "calls.yaml: classes.D.drugs.mezigdomide: required key missing",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "H", "pomalidomide").update(last_reviewed="2027-01-01"),
        "calls.yaml: classes.H.drugs.pomalidomide.last_reviewed: 2027-01-01 is after the release date 2026-11-29",
    ),
    (
        "calls.yaml",
        lambda d: _cell(d, "E", "lenalidomide").update(call="sensitive"),
        "calls.yaml: classes.E.drugs.lenalidomide.call: 'sensitive' is not allowed (allowed: likely_sensitive",
    ),
    (
        "thresholds.yaml",
        lambda d: d["thresholds"]["lod_vaf"].update(basis="clinical"),
        "thresholds.yaml: thresholds.lod_vaf.basis: 'clinical' is not allowed (an implementation default has basis",
    ),
    (
        "thresholds.yaml",
        lambda d: d["thresholds"]["exon10_skip_fraction"].update(value=40),
        "thresholds.yaml: thresholds.exon10_skip_fraction.value: 40 is outside 0.0-1.0",
    ),
    (
        "thresholds.yaml",
        lambda d: d["thresholds"].update(magic={"value": 1}),
        "thresholds.yaml: thresholds.magic: unknown key",
    ),
    (
        "thresholds.yaml",
        lambda d: d["thresholds"]["actionable_resistance_rate"].update(citations=[]),
        "thresholds.yaml: thresholds.actionable_resistance_rate.citations: must not be empty",
    ),
    (
        "classes.yaml",
        lambda d: d["classes"]["B"]["match"]["residues"][5].update(residue="W381"),
        "classes.yaml: classes.B.match.residues[5].residue: 'W381' does not match the canonical sequence",
    ),
    (
        "classes.yaml",
        lambda d: d["classes"].pop("I"),
        "classes.yaml: classes.I: required key missing",
    ),
    (
        "classes.yaml",
        lambda d: d["classes"]["G"]["match"].update(threshold="skip_magic"),
        "classes.yaml: classes.G.match.threshold: 'skip_magic' is not allowed (not a threshold in thresholds.yaml)",
    ),
    (
        "classes.yaml",
        lambda d: d["gene_body"]["GRCh38"].pop("rests_on_unverified"),
        "classes.yaml: gene_body.GRCh38.rests_on_unverified: required when unverified_margin_bp is set",
    ),
    (
        "classes.yaml",
        lambda d: d["numbering"]["mouse"]["anchors"].update(W383="W381"),
        "classes.yaml: numbering.mouse.anchors.W383: W383 = W381 disagrees with the offset 3",
    ),
    (
        "classes.yaml",
        lambda d: d["classes"]["A"].update(evidence=["dna", "rna"]),
        "classes.yaml: classes.A.evidence[0]: 'dna' is not allowed",
    ),
    (
        "wording.yaml",
        lambda d: d["calls"].update(uncertain="Uncertain for {patient}."),
        "wording.yaml: calls.uncertain: bad placeholder 'patient'",
    ),
    (
        "release.yaml",
        lambda d: d.update(date="soon"),
        "release.yaml: date: expected a date YYYY-MM-DD, got 'soon'",
    ),
]


@pytest.mark.parametrize(("file", "change", "message"), REFUSALS, ids=[item[2][:60] for item in REFUSALS])
def test_malformed_copy_is_refused_naming_file_and_key(
    tmp_path: Path, file: str, change: Callable[[Any], None], message: str
) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb(broken_copy(tmp_path, file, change))
    assert str(caught.value).startswith(message)


def test_a_table_where_a_drug_could_never_be_assessed_is_refused(tmp_path: Path) -> None:
    def never_resistant(data: Any) -> None:
        for letter in "ABEFGH":
            _cell(data, letter, "thalidomide").update(call="unknown", tier="III")

    with pytest.raises(KnowledgeBaseError, match="no class that gates negative calls predicts resistance to thalid"):
        load_kb(broken_copy(tmp_path, "calls.yaml", never_resistant))


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "calls.yaml", lambda data: None)
    (folder / "calls.yaml").write_text("classes:\n  A: [unclosed\n")
    with pytest.raises(KnowledgeBaseError, match=r"^calls\.yaml: line \d+: "):
        load_kb(folder)


def test_duplicate_key_is_refused_rather_than_silently_overwritten(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "release.yaml", lambda data: None)
    (folder / "release.yaml").write_text((folder / "release.yaml").read_text() + "status: released\n")
    with pytest.raises(KnowledgeBaseError, match=r"^release\.yaml: line \d+: duplicate key 'status'"):
        load_kb(folder)


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = broken_copy(tmp_path, "wording.yaml", lambda data: None)
    (folder / "wording.yaml").unlink()
    with pytest.raises(KnowledgeBaseError, match=r"^wording\.yaml: cannot be read"):
        load_kb(folder)


def test_a_release_must_hold_exactly_the_five_files() -> None:
    texts = {name: (KB_DIR / name).read_text() for name in KB_FILES if name != "wording.yaml"}
    with pytest.raises(KnowledgeBaseError, match=r"missing \['wording\.yaml'\]"):
        load_kb_texts({**texts, "extra.yaml": ""})


def _residue(data: Any, index: int, **entry: Any) -> None:
    data["classes"]["B"]["match"]["residues"][index] = {
        "role": "curated from a mouse paper",
        "citations": ["ito2010"],
    } | entry


def test_a_mouse_numbered_anchor_residue_is_mapped_to_human_numbering(tmp_path: Path) -> None:
    custom = load_kb(broken_copy(tmp_path, "classes.yaml", lambda d: _residue(d, 7, residue="W389", numbering="mouse")))
    residue = custom.matching.binding.residue_at(386)
    assert residue is not None and residue.rests_on_unverified == ()


def test_a_mouse_numbered_residue_off_the_anchors_is_marked_unverified(tmp_path: Path) -> None:
    custom = load_kb(broken_copy(tmp_path, "classes.yaml", lambda d: _residue(d, 1, residue="C329", numbering="mouse")))
    residue = custom.matching.binding.residue_at(326)
    assert residue is not None
    assert residue.rests_on_unverified == (
        "mouse residue 329 mapped to human 326 by the TBD offset outside its anchors",
    )


def _refusal(folder: Path) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb(folder)
    return str(caught.value)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"residue": "W100", "numbering": "mouse"}, "mouse residue 100 lies outside the range where the mouse offset"),
        ({"residue": "380W"}, "'380W' is not a residue such as W380"),
    ],
)
def test_bad_residues_are_refused(tmp_path: Path, entry: dict[str, str], message: str) -> None:
    folder = broken_copy(tmp_path, "classes.yaml", lambda d: _residue(d, 2, **entry))
    assert _refusal(folder).startswith(f"classes.yaml: classes.B.match.residues[2].residue: {message}")


def test_a_malformed_mouse_anchor_is_refused(tmp_path: Path) -> None:
    def change(data: Any) -> None:
        data["numbering"]["mouse"]["anchors"]["Trp383"] = "W380"

    folder = broken_copy(tmp_path, "classes.yaml", change)
    assert _refusal(folder) == "classes.yaml: numbering.mouse.anchors.Trp383: 'Trp383' is not a residue such as W380"
