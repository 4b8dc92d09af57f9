import pytest

from cohort.cells import shown
from cohort.stats import SUPPRESSED, shown_count, wilson


def test_wilson_matches_newcombes_worked_examples():
    # Newcombe, Stat Med 1998;17:857-872, table I: 81/263 and 15/148.
    interval = wilson(81, 263)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.2553, 0.3662)
    interval = wilson(15, 148)
    assert (round(interval.low, 4), round(interval.high, 4)) == (0.0624, 0.1605)


def test_wilson_stays_inside_zero_and_one_at_the_extremes():
    none, all_ = wilson(0, 10), wilson(10, 10)
    assert none.low == 0.0 and round(none.high, 4) == 0.2775
    assert all_.high == 1.0 and round(all_.low, 4) == 0.7225


def test_wilson_without_denominator_has_no_interval():
    empty = wilson(0, 0)
    assert (empty.low, empty.high, empty.fraction) == (None, None, None)


def test_wilson_refuses_a_count_above_the_total():
    with pytest.raises(ValueError, match="between 0 and the total"):
        wilson(5, 4)


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, SUPPRESSED), (4, SUPPRESSED), (5, "5"), (120, "120")])
def test_counts_from_one_to_four_are_suppressed(count, shown):
    assert shown_count(count) == shown


def test_a_small_denominator_suppresses_the_cell():
    assert wilson(0, 3).suppressed
    assert not wilson(0, 5).suppressed
    assert wilson(2, 50).suppressed


@pytest.mark.parametrize(
    ("count", "total", "suppressed"),
    [(5, 6, True), (46, 50, True), (49, 50, True), (45, 50, False), (50, 50, False)],
)
def test_a_small_complement_suppresses_the_cell(count, total, suppressed):
    """5/6 would show the one patient without; all 50 of 50 singles out nobody, as 0 of 50 does not."""
    assert wilson(count, total).suppressed is suppressed


@pytest.mark.parametrize(
    ("count", "total", "text"),
    [(5, 6, "all but <5/6"), (2, 50, "<5/50"), (0, 3, "0/<5"), (45, 50, "45/50 (90.0%, 95% CI 78.6%-95.7%)")],
)
def test_a_suppressed_cell_shows_only_what_singles_out_nobody(count, total, text):
    assert shown(wilson(count, total)).text == text
