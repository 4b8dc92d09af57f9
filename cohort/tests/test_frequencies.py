"""Frequencies on constructed cohorts with known rates."""

from datetime import date

from cohort.dataset import Cohort
from cohort.frequencies import SEED_ROWS, frequency_table, seed_table
from cohort.methods import method_rows

from .builders import DNA, EVERYTHING, sample


def _cohort(kind: str, start: int, size: int, found: dict[int, str], assessable=EVERYTHING, **fields):
    return [
        sample(number, found=found.get(number, ""), assessable=assessable, cohort=kind, **fields)
        for number in range(start, start + size)
    ]


def known_cohort():
    """Len-refractory: 100 patients, all with every evidence kind: 2 point mutations, 8 copy losses, 20 exon-10.
    Pom-refractory: 50 with DNA only (no RNA): 5 point mutations; exon-10 skipping not assessable."""
    len_found = {1: "B", 2: "A", **dict.fromkeys(range(3, 11), "F"), **dict.fromkeys(range(11, 31), "G")}
    pom_found = dict.fromkeys(range(101, 106), "C")
    return [
        *_cohort(Cohort.LEN_REFRACTORY, 1, 100, len_found),
        *_cohort(Cohort.POM_REFRACTORY, 101, 50, pom_found, DNA),
    ]


def test_seed_table_has_the_seed_studys_rows_and_known_counts():
    table = seed_table(known_cohort())
    assert [row.value for row in table.rows] == list(SEED_ROWS)
    ndmm, len_row, pom_row = table.rows
    assert ndmm.patients == 0 and all(cell.total == 0 for cell in ndmm.cells)
    assert [(cell.count, cell.total) for cell in len_row.cells] == [(2, 100), (8, 100), (20, 100)]
    # Without RNA, exon-10 skipping is not assessable: the denominator is 0, not 50.
    assert [(cell.count, cell.total) for cell in pom_row.cells] == [(5, 50), (0, 0), (0, 0)]
    assert round(len_row.cells[2].low, 4) == 0.1334 and round(len_row.cells[2].high, 4) == 0.2888


def test_any_alteration_and_single_classes():
    table = frequency_table(known_cohort(), "cohort")
    by_key = {column.key: index for index, column in enumerate(table.columns)}
    len_row = next(row for row in table.rows if row.value == Cohort.LEN_REFRACTORY)
    assert (len_row.cells[by_key["any"]].count, len_row.cells[by_key["any"]].total) == (30, 100)
    assert len_row.cells[by_key["G"]].count == 20
    assert len_row.cells[by_key["A"]].count == 1


def test_a_patient_counts_once_per_row_through_the_latest_sample():
    earlier = sample(1, found="B", collected=date(2021, 1, 1))
    later = sample(1, found="", collected=date(2022, 1, 1), key="s1b")
    other = sample(2, found="")
    table = frequency_table([earlier, later, other], "cohort", row_order=(Cohort.LEN_REFRACTORY,))
    row = table.rows[0]
    assert row.patients == 2
    assert table.columns[-1].key == "any" and (row.cells[-1].count, row.cells[-1].total) == (0, 2)


def test_a_found_alteration_counts_even_where_qc_judged_the_evidence_thin():
    found_anyway = sample(1, found="G", assessable=DNA)
    table = seed_table([found_anyway])
    assert (table.rows[1].cells[2].count, table.rows[1].cells[2].total) == (1, 1)


def test_breakdowns_by_institution_and_line():
    samples = [sample(1, institution="NBH"), sample(2, institution="LCC", found="A", lines_before=5)]
    by_institution = frequency_table(samples, "institution")
    assert [row.value for row in by_institution.rows] == ["LCC", "NBH"]
    by_line = frequency_table(samples, "line")
    assert [row.value for row in by_line.rows] == ["1", "4+"]


def test_method_rows_give_rates_per_institution_and_method():
    samples = [
        *[sample(n, assay="wgs", found="A" if n < 3 else "") for n in range(10)],
        *[sample(n, assay="panel", institution="LCC") for n in range(10, 16)],
    ]
    rows = {(row.institution, row.facet, row.method): row for row in method_rows(samples)}
    wgs = rows[("NBH", "assay", "wgs")]
    assert wgs.samples == 10 and (wgs.rates[-1].count, wgs.rates[-1].total) == (3, 10)
    assert rows[("LCC", "assay", "panel")].samples == 6
    assert rows[("NBH", "splice_method", "not tested")].samples == 10
