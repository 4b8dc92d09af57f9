"""Each alteration class from small constructed inputs, each drug column, the boundaries and the numbering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rules.engine import (
    CopyNumberFact,
    Exon10Fact,
    ExpressionFact,
    KnowledgeBase,
    SampleFacts,
    Segment,
    StructuralVariantFact,
    load_kb,
)

from .factories import DRUGS, calls, classes, run, sample, variant
from .test_kb import _cell, broken_copy

L, P, U = "resistance_likely", "resistance_possible", "uncertain"

# The alteration x drug table as CRBN.md section 4 reads, one class alone in a clonal, confident sample.
EXPECTED = {
    "A": (L, L, L, U, U),
    "B": (L, L, L, U, U),
    "C": (U, U, U, U, U),
    "D": (U, U, U, U, U),
    "E": (L, L, L, L, L),
    "F": (P, P, P, U, U),
    "G": (P, P, P, U, U),
    "H": (P, P, P, U, U),
    "I": (U, U, P, U, U),
}

ONE_CLASS: dict[str, dict[str, Any]] = {
    "A": {"variants": (variant(100, "stop_gained"),)},
    "B": {"variants": (variant(380),)},
    "C": {"variants": (variant(350),)},
    "D": {"variants": (variant(200),)},
    "E": {"copy_number": (CopyNumberFact(total_cn=0),)},
    "F": {"copy_number": (CopyNumberFact(total_cn=1),)},
    "G": {"exon10": Exon10Fact(skip=60, inclusion_upstream=40, inclusion_downstream=40)},
    "H": {"structural_variants": (StructuralVariantFact("sv1", "DEL", "chr3", 3_160_000, mate_pos=3_300_000),)},
    "I": {"expression": (ExpressionFact(0.5, "GEP", "schuster2014_gep"),), "has_expression": True},
}


@pytest.mark.parametrize("letter", sorted(EXPECTED))
def test_each_class_gives_its_row_of_the_drug_table(kb: KnowledgeBase, letter: str) -> None:
    result = run(kb, sample(**ONE_CLASS[letter]))
    assert classes(result) == [letter]
    assert tuple(calls(result)[drug] for drug in DRUGS) == EXPECTED[letter]
    assert not any(item.actionable for item in result.drugs)  # no entry has a published resistance rate


def test_the_winning_entry_gives_level_tier_and_basis(kb: KnowledgeBase) -> None:
    finding = run(kb, sample(**ONE_CLASS["G"])).drug("lenalidomide")
    assert (finding.level, finding.tier, finding.basis, finding.entries) == ("C", "II", "clinical", ("G.lenalidomide",))
    assert "may reduce the response to lenalidomide" in finding.text


# ---- class A: truncation at or before residue 426 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "consequence", "expected"),
    [
        (426, "stop_gained", ["A"]),
        (427, "stop_gained", []),
        (1, "frameshift_variant", ["A"]),
        (419, "stop_gained&splice_region_variant", ["A"]),
        (426, "splice_acceptor_variant", ["A"]),
    ],
)
def test_truncation_is_class_a_up_to_residue_426(
    kb: KnowledgeBase, position: int, consequence: str, expected: list[str]
) -> None:
    assert classes(run(kb, sample(variant(position, consequence)))) == expected


def test_truncation_after_426_is_an_unclassified_variant_of_unknown_significance(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(427, "stop_gained")))
    assert [item.reason for item in result.unclassified] == ["protein-altering at residue 427, outside classes A-D"]
    assert set(calls(result).values()) == {U}
    assert result.drug("lenalidomide").entries == ("other.lenalidomide",)


@pytest.mark.parametrize(("exon", "expected"), [(10, ["A"]), (11, [])])
def test_splice_site_without_a_position_is_class_a_at_exon_10_or_before(
    kb: KnowledgeBase, exon: int, expected: list[str]
) -> None:
    assert classes(run(kb, sample(variant(None, "splice_donor_variant", exon=exon)))) == expected


def test_splice_site_classified_by_exon_is_inferred_because_the_exon_mapping_is_unverified(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(None, "splice_acceptor_variant", exon=9)))
    assert result.alterations[0].inferred
    assert "derived" in result.alterations[0].notes[0]
    assert (result.drug("lenalidomide").call.value, result.drug("lenalidomide").basis) == (P, "inferred")


# ---- classes B, C, D: missense by residue -----------------------------------------------------------------------


@pytest.mark.parametrize("position", [323, 326, 391, 394, 378, 380, 384, 386, 400, 402])
def test_missense_at_each_binding_residue_is_class_b(kb: KnowledgeBase, position: int) -> None:
    assert classes(run(kb, sample(variant(position)))) == ["B"]


@pytest.mark.parametrize(
    ("position", "expected"),
    [(80, []), (81, ["D"]), (317, ["D"]), (318, ["C"]), (319, ["C"]), (381, ["C"]), (426, ["C"]), (427, [])],
)
def test_missense_boundaries_tbd_wins_the_318_319_overlap(
    kb: KnowledgeBase, position: int, expected: list[str]
) -> None:
    assert classes(run(kb, sample(variant(position)))) == expected


def test_unverified_pocket_residue_makes_the_finding_inferred_and_says_so(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(400)))
    (alteration,) = result.alterations
    assert alteration.flags == ("inferred",)
    assert any("UNVERIFIED" in note for note in alteration.notes)
    finding = result.drug("lenalidomide")
    assert (finding.call.value, finding.basis, finding.inferred) == (P, "inferred", True)
    assert finding.reasons[0].endswith("B.lenalidomide resistant (inferred: one step weaker)")
    assert "could not be verified against a primary source" in finding.text


def test_verified_binding_residue_keeps_its_structural_basis(kb: KnowledgeBase) -> None:
    finding = run(kb, sample(variant(386))).drug("pomalidomide")
    assert (finding.basis, finding.inferred) == ("structural", False)


# ---- numbering --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transcript", ["NM_001173482.1", "ENST00000432408"])
def test_isoform_2_positions_are_canonical_plus_one_from_residue_23(kb: KnowledgeBase, transcript: str) -> None:
    result = run(kb, sample(variant(379, hgvs_p="p.(Trp379Cys)", transcript=transcript)))
    (alteration,) = result.alterations
    assert alteration.alteration_class == "B"
    assert alteration.entry == "classes.B.residues.W380"


def test_isoform_2_positions_before_23_are_unchanged(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(22, "stop_gained", hgvs_p="p.(Pro22Ter)", transcript="NM_001173482.1")))
    assert [item.description.split(": ")[0] for item in result.alterations] == ["p.(Pro22Ter) (canonical residue 22)"]


def test_a_reference_residue_that_disagrees_with_the_numbering_is_not_classified(kb: KnowledgeBase) -> None:
    # Isoform-2 numbering reported against the canonical transcript: residue 379 is not a Trp.
    result = run(kb, sample(variant(379, hgvs_p="p.(Trp379Cys)")))
    assert result.alterations == ()
    assert "protein numbering suspect" in result.unclassified[0].reason
    assert set(calls(result).values()) == {U}


def test_an_unknown_transcript_is_not_classified(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(380, transcript="NM_999999.1")))
    assert result.unclassified[0].reason == "transcript NM_999999.1 is not a known CRBN transcript"


@pytest.mark.parametrize(("mouse", "letter", "inferred"), [(389, "B", False), (383, "B", False), (330, "C", True)])
def test_mouse_numbering_maps_minus_3_in_the_tbd(kb: KnowledgeBase, mouse: int, letter: str, inferred: bool) -> None:
    (alteration,) = run(kb, sample(variant(mouse, numbering="mouse"))).alterations
    assert alteration.alteration_class == letter
    assert alteration.inferred is inferred


def test_mouse_numbering_outside_the_tbd_is_not_mapped(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(100, numbering="mouse")))
    assert result.alterations == ()
    assert "outside the TBD" in result.unclassified[0].reason


# ---- classes E and F: copy number and composite biallelic loss --------------------------------------------------


@pytest.mark.parametrize(
    ("total", "ploidy", "expected"),
    [
        (0, None, ["E"]),
        (1, None, ["F"]),
        (2, None, []),
        (2, 3.1, ["F"]),
        (3, 3.4, []),
        (1.5, None, []),
        (0.4, None, ["E"]),
    ],
)
def test_copy_number_classes(kb: KnowledgeBase, total: float, ploidy: float | None, expected: list[str]) -> None:
    result = run(kb, sample(copy_number=(CopyNumberFact(total_cn=total, ploidy=ploidy),)))
    assert classes(result) == expected


def test_one_copy_lost_plus_a_truncation_is_biallelic_and_resistant_to_every_drug(kb: KnowledgeBase) -> None:
    loss = CopyNumberFact(total_cn=1, segment=Segment("3", 3_100_000, 3_200_000))
    hit = variant(200, "frameshift_variant", pos=3_160_000, vaf=0.9)
    result = run(kb, sample(hit, copy_number=(loss,)))
    assert classes(result) == ["A", "E", "F"]
    (biallelic,) = [item for item in result.alterations if item.kind == "biallelic"]
    assert biallelic.components == ("cn:3:3100000-3200000", "variant:3:3150200:C>T")
    assert set(calls(result).values()) == {L}
    assert result.drug("iberdomide").entries == ("A.iberdomide", "E.iberdomide", "F.iberdomide")


def test_one_copy_lost_plus_a_class_c_variant_is_not_biallelic(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(350), copy_number=(CopyNumberFact(total_cn=1),)))
    assert classes(result) == ["C", "F"]
    assert calls(result)["iberdomide"] == U


def test_a_second_hit_outside_the_lost_segment_is_not_biallelic(kb: KnowledgeBase) -> None:
    loss = CopyNumberFact(total_cn=1, segment=Segment("3", 3_170_000, 3_200_000))
    result = run(kb, sample(variant(380, pos=3_152_500), copy_number=(loss,)))
    assert classes(result) == ["B", "F"]


def test_an_unconfirmed_second_hit_does_not_make_biallelic_loss(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(380, vaf=0.03), copy_number=(CopyNumberFact(total_cn=1),)))
    assert classes(result) == ["B", "F"]


def test_a_subclonal_second_hit_makes_a_subclonal_biallelic_state(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(380, vaf=0.1), copy_number=(CopyNumberFact(total_cn=1),)))
    (biallelic,) = [item for item in result.alterations if item.kind == "biallelic"]
    assert "subclonal" in biallelic.flags
    assert calls(result)["mezigdomide"] == P


# ---- class G: exon-10 skipping -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skip", "up", "down", "expected", "rna_adequate"),
    [
        (40, 60, 60, ["G"], True),  # exactly 0.40
        (39, 61, 61, [], True),  # 0.39
        (12, 18, 18, ["G"], True),  # depth exactly 30, fraction 0.40
        (12, 17, 18, [], False),  # depth 29.5: below the minimum
        (20, 0, 0, [], False),  # a high fraction on too few reads is not assessable
    ],
)
def test_exon10_skipping_threshold_and_depth_minimum(
    kb: KnowledgeBase, skip: int, up: int, down: int, expected: list[str], rna_adequate: bool
) -> None:
    result = run(kb, sample(exon10=Exon10Fact(skip, up, down)))
    assert classes(result) == expected
    assert result.qc.adequate("rna_junctions") is rna_adequate


def test_exon10_below_depth_makes_the_lenalidomide_negative_not_assessable(kb: KnowledgeBase) -> None:
    finding = run(kb, sample(exon10=Exon10Fact(3, 5, 5))).drug("lenalidomide")
    assert finding.call.value == "not_assessable"
    assert any("exon-10 junction depth 8 below the minimum 30" in reason for reason in finding.reasons)


def test_exon10_finding_states_that_the_threshold_is_not_validated(kb: KnowledgeBase) -> None:
    result = run(kb, sample(**ONE_CLASS["G"]))
    assert result.alterations[0].flags == ("unvalidated_threshold",)
    assert any("NOT a validated cut-off" in item for item in result.drug("pomalidomide").limitations)


# ---- class H: structural variants ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "position", "expected", "inferred"),
    [
        ("GRCh38", 3_160_000, ["H"], False),
        ("GRCh38", 3_148_991, [], False),
        ("GRCh38", 3_148_995, ["H"], True),  # within the liftover's unverified margin of the end
        ("GRCh37", 3_200_000, ["H"], False),
        ("GRCh37", 3_160_000, [], False),
    ],
)
def test_sv_breakpoint_in_the_gene_body_is_class_h(
    kb: KnowledgeBase, build: str, position: int, expected: list[str], inferred: bool
) -> None:
    sv = StructuralVariantFact("sv1", "BND", "3", position, mate_chrom="8", mate_pos=128_000_000)
    result = run(kb, sample(build=build, structural_variants=(sv,)))
    assert classes(result) == expected
    assert [item.inferred for item in result.alterations] == ([inferred] if expected else [])


def test_an_sv_that_failed_filters_is_capped_at_uncertain(kb: KnowledgeBase) -> None:
    sv = StructuralVariantFact("sv1", "DEL", "3", 3_160_000, mate_pos=3_170_000, filter="LowQual")
    assert calls(run(kb, sample(structural_variants=(sv,))))["lenalidomide"] == U


# ---- class I: expression, only with its own assay's threshold -------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0.80, ["I"]), (0.81, []), (2.0, [])])
def test_low_expression_below_the_schuster_cut_off_is_class_i(
    kb: KnowledgeBase, value: float, expected: list[str]
) -> None:
    result = run(kb, sample(expression=(ExpressionFact(value, "GEP", "schuster2014_gep"),), has_expression=True))
    assert classes(result) == expected


@pytest.mark.parametrize("assay", ["salmon_tpm", "affymetrix_218142_s_at+222533_at"])
def test_expression_from_another_assay_is_never_compared(kb: KnowledgeBase, assay: str) -> None:
    result = run(kb, sample(expression=(ExpressionFact(0.01, "TPM", assay),), has_expression=True))
    assert classes(result) == []
    assert not result.qc.adequate("expression")
    assert any(
        f"no single-sample threshold for assay {assay}" in item for item in result.drug("pomalidomide").limitations
    )
    assert calls(result)["pomalidomide"] == "no_alteration_detected"  # expression never gates a negative


# ---- other genes, precedence, actionability -------------------------------------------------------------------


def test_pathway_gene_variants_are_recorded_but_not_weighed(kb: KnowledgeBase) -> None:
    ikzf1 = variant(146, gene="IKZF1", hgvs_p="p.(Gln146His)", key="7:50400000:G>C", transcript="NM_006060.6")
    result = run(kb, sample(ikzf1))
    assert result.other_genes == ("IKZF1 p.(Gln146His)",)
    assert set(calls(result).values()) == {"no_alteration_detected"}


def test_precedence_strongest_call_then_level_then_severity(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(350), copy_number=(CopyNumberFact(total_cn=1),), **ONE_CLASS["G"]))
    finding = result.drug("lenalidomide")
    # F (reduced, level D) and G (reduced, level C) outrank C (unknown); G's level C wins the tie.
    assert finding.call.value == P
    assert (finding.level, finding.basis) == ("C", "clinical")
    assert finding.entries == ("C.lenalidomide", "F.lenalidomide", "G.lenalidomide")
    assert finding.reasons[0].startswith("skip fraction")


def _with_rate(tmp_path: Path, rate: float) -> KnowledgeBase:
    def change(data: Any) -> None:
        _cell(data, "A", "lenalidomide").update(basis="clinical", predicted_resistance_rate=rate)

    return load_kb(broken_copy(tmp_path, "calls.yaml", change))


@pytest.mark.parametrize(("rate", "vaf", "actionable"), [(0.85, 0.45, True), (0.8, 0.45, True), (0.7, 0.45, False)])
def test_actionable_only_at_a_published_rate_of_at_least_80_percent(
    tmp_path: Path, rate: float, vaf: float, actionable: bool
) -> None:
    finding = run(_with_rate(tmp_path, rate), sample(variant(100, "stop_gained", vaf=vaf))).drug("lenalidomide")
    assert finding.actionable is actionable


def test_a_subclonal_alteration_is_never_actionable(tmp_path: Path) -> None:
    finding = run(_with_rate(tmp_path, 0.9), sample(variant(100, "stop_gained", vaf=0.1))).drug("lenalidomide")
    assert (finding.call.value, finding.actionable) == (P, False)


def test_a_likely_sensitive_entry_still_reports_the_alteration_as_uncertain(tmp_path: Path) -> None:
    def change(data: Any) -> None:
        _cell(data, "C", "lenalidomide").update(call="likely_sensitive")

    custom = load_kb(broken_copy(tmp_path, "calls.yaml", change))
    assert calls(run(custom, sample(variant(350))))["lenalidomide"] == U


def test_sample_facts_refuse_evidence_that_is_not_marked_provided() -> None:
    with pytest.raises(ValueError, match="copy_number evidence given but not marked as provided"):
        SampleFacts(build="GRCh38", copy_number=(CopyNumberFact(total_cn=1),))
