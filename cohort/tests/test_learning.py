"""The learning loop on constructed cohorts with known non-response rates."""

import pytest

from cohort.learning import NONE_ROW, Agreement, agreement, learning_loop, non_response
from cohort.stats import wilson

from .builders import START, line, relapsed_patient


def test_non_response_definition():
    assert non_response(line(2, ("pomalidomide",), START, best_response="SD"), 180) is True
    assert non_response(line(2, ("pomalidomide",), START, best_response="VGPR", days_to_progression=90), 180) is True
    assert non_response(line(2, ("pomalidomide",), START, best_response="VGPR", days_to_progression=400), 180) is False
    assert non_response(line(2, ("pomalidomide",), START, best_response=""), 180) is None
    assert non_response(line(2, ("pomalidomide",), START, best_response="NE"), 180) is None


@pytest.mark.parametrize(
    ("call", "count", "total", "expected"),
    [
        ("resistant", 95, 100, Agreement.SUPPORTS),
        ("resistant", 30, 100, Agreement.CONTRADICTS),
        ("resistant", 8, 10, Agreement.UNDECIDED),
        ("likely_sensitive", 95, 100, Agreement.CONTRADICTS),
        ("unknown", 95, 100, Agreement.NEW_EVIDENCE),
        ("resistant", 0, 0, Agreement.UNDECIDED),
    ],
)
def test_agreement_with_the_knowledge_base(call, count, total, expected):
    assert agreement(call, wilson(count, total), 0.8) == expected


def test_observed_non_response_per_class_and_drug():
    # Class B: 19 of 20 progress within 60 days on pomalidomide; no alteration: 2 of 20.
    class_b = [relapsed_patient(n, found="B", pfs_days=60 if n <= 19 else 600) for n in range(1, 21)]
    clean = [relapsed_patient(100 + n, found="", pfs_days=60 if n <= 2 else 600) for n in range(1, 21)]
    calls = {("B", "pomalidomide"): "resistant"}
    rows = learning_loop([*class_b, *clean], ("lenalidomide", "pomalidomide"), calls, 0.8, early_days=180)
    cells = {(cell.alteration_class, cell.drug): cell for row in rows for cell in row}
    b_pom = cells[("B", "pomalidomide")]
    assert (b_pom.observed.count, b_pom.observed.total) == (19, 20)
    assert b_pom.agreement == Agreement.UNDECIDED  # 95%, but the interval (76-99%) still straddles 80%
    none_pom = cells[(NONE_ROW, "pomalidomide")]
    assert (none_pom.observed.count, none_pom.observed.total) == (2, 20)
    # Lenalidomide came before the relapse sample, so no patient has a later line with it.
    assert cells[("B", "lenalidomide")].observed.total == 0


def test_the_early_progression_window_is_configurable():
    patients = [relapsed_patient(n, found="B", pfs_days=100) for n in range(1, 6)]
    short = learning_loop(patients, ("pomalidomide",), {}, 0.8, early_days=90)
    long = learning_loop(patients, ("pomalidomide",), {}, 0.8, early_days=120)
    assert short[1][0].observed.count == 0 and long[1][0].observed.count == 5
