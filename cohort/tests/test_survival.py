"""Survival on constructed cohorts whose medians are known exactly."""

from datetime import timedelta

import pytest

from cohort.figures import km_svg
from cohort.survival import DAYS_PER_MONTH, TICK_MONTHS, analyse, os_record, pfs_record, survival_records

from .builders import START, relapsed_patient


def known_cohort():
    """21 altered patients progressing every 30 days (median: the 11th, 330 days), 21 without alteration every
    90 days (median 990 days); no censoring. An odd size keeps the median off a tie at exactly 50%."""
    altered = [relapsed_patient(n, found="B", pfs_days=30 * n) for n in range(1, 22)]
    not_altered = [relapsed_patient(100 + n, found="", pfs_days=90 * n) for n in range(1, 22)]
    return [*altered, *not_altered]


def test_pfs_medians_and_log_rank_on_a_known_cohort():
    analysis = analyse(survival_records(known_cohort(), "pfs", "status"), "pfs", "status")
    curves = {curve.group: curve for curve in analysis.curves}
    assert set(curves) == {"altered", "not_altered"}
    assert curves["altered"].median == pytest.approx(330 / DAYS_PER_MONTH)
    assert curves["not_altered"].median == pytest.approx(990 / DAYS_PER_MONTH)
    assert (curves["altered"].patients, curves["altered"].events) == (21, 21)
    assert analysis.logrank_p < 0.001
    assert curves["altered"].median_low <= curves["altered"].median <= curves["altered"].median_high


def test_numbers_at_risk_at_each_tick():
    analysis = analyse(survival_records(known_cohort(), "pfs", "status"), "pfs", "status")
    altered = next(curve for curve in analysis.curves if curve.group == "altered")
    # Months 0, 12, 24: progression on days 30..630, so 21 at 0, those from day 390 on (13..21) at 12, none at 24.
    assert altered.at_risk[:3] == (21, 9, 0)
    assert len(altered.at_risk) == len(TICK_MONTHS)


def test_by_class_groups_separate_kinds_of_alteration():
    patients = [relapsed_patient(1, found="G", pfs_days=100), relapsed_patient(2, found="AF", pfs_days=50)]
    groups = sorted(record.group for record in survival_records(patients, "pfs", "class"))
    assert groups == ["exon10_skipping", "multiple"]


def test_pfs_is_censored_at_last_follow_up_without_progression():
    patient = relapsed_patient(1, found="B", pfs_days=200, event=False)
    record = pfs_record(patient, "status")
    assert (record.days, record.event) == (200, False)


def test_death_before_progression_is_a_pfs_event():
    death = START + timedelta(days=14 + 120)
    patient = relapsed_patient(1, found="", pfs_days=400, event=False, death=death)
    record = pfs_record(patient, "status")
    assert (record.group, record.days, record.event) == ("not_altered", 120, True)


def test_os_runs_from_first_relapse_to_death():
    death = START + timedelta(days=500)
    record = os_record(relapsed_patient(1, found="E", pfs_days=100, death=death), "status")
    assert (record.group, record.days, record.event) == ("altered", 500, True)


def test_patients_without_an_assessable_relapse_sample_are_left_out():
    from .builders import sample

    unassessable = relapsed_patient(1, found="", pfs_days=100)
    unassessable = unassessable.__class__(**{**unassessable.__dict__, "samples": (sample(1, assessable=frozenset()),)})
    assert pfs_record(unassessable, "status") is None


def test_the_figure_is_deterministic_svg_with_numbers_at_risk():
    analysis = analyse(survival_records(known_cohort(), "pfs", "status"), "pfs", "status")
    first, second = km_svg(analysis), km_svg(analysis)
    assert first.startswith("<svg") and first == second
    assert "Number at risk" in first and "CRBN altered (n=21)" in first
