"""QC gating of negative calls, clonality and acquired status, and the IMWG treatment context."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from rules.engine import (
    CopyNumberFact,
    KnowledgeBase,
    QcStatus,
    SampleFacts,
    Segment,
    SmallVariantFact,
    TreatmentLineFact,
)
from rules.engine.calls import required_kinds
from rules.engine.clonality import cancer_cell_fraction

from .factories import ALL_KINDS, DRUGS, NO_SKIPPING, calls, run, sample, variant

NEGATIVE, NOT_ASSESSABLE = "no_alteration_detected", "not_assessable"
GATING_FLAGS = tuple(ALL_KINDS)


def _kinds(*flags: str) -> dict[str, bool]:
    return {flag: flag in flags for flag in GATING_FLAGS}


# ---- QC gating ----------------------------------------------------------------------------------------------------


def test_every_gating_kind_negative_gives_no_alteration_detected_for_every_drug(kb: KnowledgeBase) -> None:
    result = run(kb, sample())
    assert result.qc.status is QcStatus.PASS
    assert set(calls(result).values()) == {NEGATIVE}
    assert result.drug("lenalidomide").limitations == ("expression: not provided",)


def test_dna_only_never_gives_a_negative_call(kb: KnowledgeBase) -> None:
    result = run(kb, sample(**_kinds("has_dna_variants"), exon10=None))
    assert set(calls(result).values()) == {NOT_ASSESSABLE}
    reasons = result.drug("lenalidomide").reasons
    assert reasons[0] == "no CRBN alteration found in: dna_variants"
    assert "needed for lenalidomide but not assessable: rna_junctions (not provided)" in reasons
    assert result.qc.status is QcStatus.WARN


def test_dna_and_copy_number_rule_out_biallelic_loss_for_celmods_but_not_exon10_for_imids(kb: KnowledgeBase) -> None:
    result = run(kb, sample(**_kinds("has_dna_variants", "has_copy_number"), exon10=None))
    assert calls(result) == {
        "thalidomide": NOT_ASSESSABLE,
        "lenalidomide": NOT_ASSESSABLE,
        "pomalidomide": NOT_ASSESSABLE,
        "iberdomide": NEGATIVE,
        "mezigdomide": NEGATIVE,
    }
    assert any("rna_junctions" in item for item in result.drug("iberdomide").limitations)


def test_required_kinds_follow_the_table(kb: KnowledgeBase) -> None:
    assert required_kinds("lenalidomide", kb) == ("copy_number", "dna_variants", "rna_junctions", "structural_variants")
    assert required_kinds("iberdomide", kb) == ("copy_number", "dna_variants")


@pytest.mark.parametrize(
    "provided", [combo for size in range(5) for combo in itertools.combinations(GATING_FLAGS, size)]
)
def test_no_alteration_detected_never_appears_while_a_required_kind_is_missing(
    kb: KnowledgeBase, provided: tuple[str, ...]
) -> None:
    exon10 = NO_SKIPPING if "has_rna_junctions" in provided else None
    result = run(kb, sample(**_kinds(*provided), exon10=exon10))
    for drug in DRUGS:
        complete = all(result.qc.adequate(kind) for kind in required_kinds(drug, kb))
        assert calls(result)[drug] == (NEGATIVE if complete else NOT_ASSESSABLE), (drug, provided)


def test_nothing_provided_fails_qc_and_nothing_is_assessable(kb: KnowledgeBase) -> None:
    result = run(kb, sample(**_kinds(), exon10=None))
    assert result.qc.status is QcStatus.FAIL
    assert result.qc.reasons[0] == "no evidence kind could be assessed"
    assert set(calls(result).values()) == {NOT_ASSESSABLE}


@pytest.mark.parametrize(("coverage", "adequate"), [(100, True), (99, False)])
def test_dna_below_minimum_coverage_cannot_support_a_negative(kb: KnowledgeBase, coverage: int, adequate: bool) -> None:
    result = run(kb, sample(coverage=coverage))
    assert result.qc.adequate("dna_variants") is adequate
    assert calls(result)["iberdomide"] == (NEGATIVE if adequate else NOT_ASSESSABLE)


@pytest.mark.parametrize(("purity", "adequate"), [(0.10, True), (0.09, False)])
def test_dna_needs_purity_of_twice_the_lod(kb: KnowledgeBase, purity: float, adequate: bool) -> None:
    assert run(kb, sample(purity=purity)).qc.adequate("dna_variants") is adequate


def test_log2_only_copy_number_is_not_interpreted(kb: KnowledgeBase) -> None:
    result = run(kb, sample(copy_number=(CopyNumberFact(total_cn=None, log2=-1.0),)))
    assert result.alterations == ()
    assert calls(result)["iberdomide"] == NOT_ASSESSABLE


def test_unknown_purity_and_coverage_warn(kb: KnowledgeBase) -> None:
    result = run(kb, sample(purity=None, coverage=None))
    assert result.qc.status is QcStatus.WARN
    assert result.qc.reasons == (
        "purity unknown: cancer-cell fractions cannot be estimated",
        "DNA coverage unknown: the absence of a variant is not assured",
    )


def test_a_found_alteration_lists_what_was_not_assessed(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(380), **_kinds("has_dna_variants"), exon10=None))
    finding = result.drug("lenalidomide")
    assert finding.call.value == "resistance_likely"
    assert "rna_junctions: not provided" in finding.limitations


# ---- clonality ------------------------------------------------------------------------------------------------------


def test_ccf_formula_for_a_heterozygous_mutation() -> None:
    assert cancer_cell_fraction(0.45, 0.9, 2) == pytest.approx(1.0)
    assert cancer_cell_fraction(0.2, 0.8, 2) == pytest.approx(0.5)
    assert cancer_cell_fraction(0.15, 0.5, 3) == pytest.approx(0.15 * (0.5 * 3 + 2 * 0.5) / 0.5)  # 0.75
    assert cancer_cell_fraction(0.9, 0.9, 2) == 1.0  # capped


def test_subclonal_truncation_is_one_step_weaker_and_says_so(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(100, "stop_gained", vaf=0.2)))
    clone = result.alterations[0].clonality
    assert clone is not None and (clone.ccf, clone.subclonal, clone.copy_number_assumed) == (0.4444, True, True)
    finding = result.drug("lenalidomide")
    assert finding.call.value == "resistance_possible"
    assert "cells without it may still respond" in finding.text


def test_variant_below_the_limit_of_detection_is_flagged_and_capped(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(380, vaf=0.049)))
    assert "below_lod" in result.alterations[0].flags
    assert calls(result)["lenalidomide"] == "uncertain"


def test_filtered_variant_is_capped_at_uncertain(kb: KnowledgeBase) -> None:
    result = run(kb, sample(variant(380, filter="strand_bias")))
    assert result.alterations[0].flags == ("filtered",)
    assert calls(result)["pomalidomide"] == "uncertain"


def test_ccf_uses_the_copy_number_of_the_segment_holding_the_variant(kb: KnowledgeBase) -> None:
    segments = (
        CopyNumberFact(total_cn=3, segment=Segment("3", 3_100_000, 3_155_000)),
        CopyNumberFact(total_cn=2, segment=Segment("3", 3_155_001, 3_300_000)),
    )
    result = run(kb, sample(variant(380, vaf=0.3, pos=3_152_500), copy_number=segments))
    clone = result.alterations[0].clonality
    assert clone is not None and (clone.copy_number, clone.copy_number_assumed) == (3, False)


# ---- acquired ------------------------------------------------------------------------------------------------------


def _baseline(*variants: SmallVariantFact, **fields: Any) -> SampleFacts:
    return sample(*variants, name="baseline", **fields)


def _acquired(kb: KnowledgeBase, relapse: SampleFacts, baseline: SampleFacts | None) -> tuple[bool | None, str]:
    alteration = run(kb, relapse, baseline).alterations[0]
    return alteration.acquired, alteration.acquired_reason


def test_variant_at_baseline_is_pre_existing(kb: KnowledgeBase) -> None:
    assert _acquired(kb, sample(variant(380)), _baseline(variant(380, vaf=0.01))) == (
        False,
        "present at baseline (pre-existing)",
    )


def test_variant_absent_from_an_adequately_covered_baseline_is_acquired(kb: KnowledgeBase) -> None:
    assert _acquired(kb, sample(variant(380)), _baseline()) == (True, "absent at baseline with adequate coverage")


@pytest.mark.parametrize("coverage", [None, 50])
def test_baseline_without_adequate_coverage_leaves_acquired_unknown(kb: KnowledgeBase, coverage: int | None) -> None:
    assert _acquired(kb, sample(variant(380)), _baseline(coverage=coverage))[0] is None


def test_no_baseline_leaves_acquired_unknown(kb: KnowledgeBase) -> None:
    assert _acquired(kb, sample(variant(380)), None) == (None, "no baseline sample")


@pytest.mark.parametrize(("fields", "acquired"), [({"germline_flag": True}, False), ({"normal_alt_count": 3}, False)])
def test_germline_variants_are_not_acquired(kb: KnowledgeBase, fields: dict[str, object], acquired: bool) -> None:
    assert _acquired(kb, sample(variant(380, **fields)), _baseline()) == (acquired, "germline")


def test_two_alt_reads_in_the_normal_are_tolerated(kb: KnowledgeBase) -> None:
    assert _acquired(kb, sample(variant(380, normal_alt_count=2)), _baseline())[0] is True


def test_baseline_on_another_build_is_not_compared(kb: KnowledgeBase) -> None:
    acquired, reason = _acquired(kb, sample(variant(380)), _baseline(variant(380), build="GRCh37"))
    assert (acquired, reason) == (None, "baseline on GRCh37, sample on GRCh38: not compared")
    result = run(kb, sample(variant(380)), _baseline(build="GRCh37"))
    assert "baseline is on GRCh37, the sample on GRCh38: not compared" in result.qc.reasons


def test_copy_loss_is_compared_with_the_baseline_by_class(kb: KnowledgeBase) -> None:
    loss = (CopyNumberFact(total_cn=1),)
    assert _acquired(kb, sample(copy_number=loss), _baseline(copy_number=loss))[0] is False
    assert _acquired(kb, sample(copy_number=loss), _baseline())[0] is True
    assert _acquired(kb, sample(copy_number=loss), _baseline(has_copy_number=False))[0] is None


# ---- treatment context (IMWG) ---------------------------------------------------------------------------------


def _len_line(days_after_last_dose: int | None, **fields: Any) -> TreatmentLineFact:
    end = date(2022, 6, 30)
    progression = None if days_after_last_dose is None else end + timedelta(days=days_after_last_dose)
    values: dict[str, Any] = {
        "line": 1,
        "drugs": ("lenalidomide", "dexamethasone"),
        "start": date(2021, 2, 1),
        "end": end,
        "best_response": "VGPR",
        "progression": progression,
    }
    values.update(fields)
    return TreatmentLineFact(**values)


def _drug_context(
    kb: KnowledgeBase, *lines: TreatmentLineFact, collected: date | None = None
) -> dict[str, bool | None]:
    result = run(kb, sample(collected=collected), lines=lines)
    return {item.drug: item.refractory for item in result.context.drugs}


@pytest.mark.parametrize(("days", "refractory"), [(60, True), (61, False), (0, True), (-30, True), (None, False)])
def test_refractory_within_60_days_of_the_last_dose(kb: KnowledgeBase, days: int | None, refractory: bool) -> None:
    assert _drug_context(kb, _len_line(days))["lenalidomide"] is refractory


def test_ongoing_line_with_progression_is_refractory(kb: KnowledgeBase) -> None:
    assert _drug_context(kb, _len_line(10, end=None))["lenalidomide"] is True


def test_refractoriness_is_per_drug_using_its_own_last_dose(kb: KnowledgeBase) -> None:
    line = _len_line(
        15,
        drugs=("bortezomib", "lenalidomide", "dexamethasone"),
        drug_last_doses=(("bortezomib", date(2021, 8, 1)),),
    )
    summary = run(kb, sample(), lines=(line,)).context.lines[0]
    assert summary.refractory_to == ("dexamethasone", "lenalidomide")


def test_never_received_drugs_are_noted(kb: KnowledgeBase) -> None:
    context = run(kb, sample(), lines=(_len_line(15),)).context
    pomalidomide = next(item for item in context.drugs if item.drug == "pomalidomide")
    assert (pomalidomide.exposed, pomalidomide.refractory) == (False, None)
    assert pomalidomide.note is not None and pomalidomide.note.startswith("pomalidomide never received")


def test_first_progression_is_the_first_in_line_order(kb: KnowledgeBase) -> None:
    line1 = _len_line(None, end=date(2021, 5, 1))  # stopped for toxicity, no progression
    line2 = TreatmentLineFact(2, ("pomalidomide",), date(2021, 6, 1), date(2022, 1, 1), "PR", date(2022, 2, 1))
    line3 = TreatmentLineFact(3, ("daratumumab",), date(2022, 3, 1), None, "PR", date(2021, 12, 1))
    context = run(kb, sample(collected=date(2022, 2, 10)), lines=(line3, line1, line2)).context
    assert (context.first_progression_line, context.first_progression) == (2, date(2022, 2, 1))
    assert context.at_first_progression is True
    assert context.notes == ()


@pytest.mark.parametrize(
    ("collected", "at_first", "note"),
    [
        (date(2022, 7, 20), True, None),
        (date(2022, 7, 1), False, "collected before the first progression (2022-07-15)"),
        (date(2023, 1, 10), False, "collected after line 2 started: not at first progression"),
        (None, None, "collection date unknown: whether the sample is from the first progression is not known"),
    ],
)
def test_testing_setting_is_first_progression(
    kb: KnowledgeBase, collected: date | None, at_first: bool | None, note: str | None
) -> None:
    line2 = TreatmentLineFact(2, ("pomalidomide", "dexamethasone"), date(2022, 8, 1))
    context = run(kb, sample(collected=collected), lines=(_len_line(15), line2)).context
    assert context.at_first_progression is at_first
    assert context.notes == ((note,) if note else ())


def test_never_exposed_to_len_or_pom_is_outside_the_evidence_setting(kb: KnowledgeBase) -> None:
    line = TreatmentLineFact(
        1, ("bortezomib", "dexamethasone"), date(2021, 1, 1), date(2021, 9, 1), "PR", date(2021, 10, 1)
    )
    context = run(kb, sample(collected=date(2021, 10, 5)), lines=(line,)).context
    assert context.notes == ("outside the evidence setting: never exposed to lenalidomide or pomalidomide",)


def test_no_history_is_stated(kb: KnowledgeBase) -> None:
    context = run(kb, sample()).context
    assert context.at_first_progression is None
    assert context.notes == ("no treatment history: exposure, refractoriness and the testing setting are unknown",)


def test_context_never_changes_a_verdict(kb: KnowledgeBase) -> None:
    with_history = run(kb, sample(variant(380)), lines=(_len_line(15),))
    without = run(kb, sample(variant(380)))
    assert calls(with_history) == calls(without)
