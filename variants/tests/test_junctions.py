"""Splice junctions: STAR SJ.out.tab and regtools BED12 read into intron coordinates, CRBN kept, exon-10 skip."""

import gzip
from pathlib import Path

import pytest

from variants.crbn import GRCH37, GRCH38, Interval
from variants.parsers import junctions
from variants.parsers.facts import JunctionCount, ParseError, ParseOptions
from variants.parsers.junctions import Exon10Counts, exon10_counts, skip_fraction
from variants.parsers.reader import LineSource

GRCH38_OPTIONS = ParseOptions(expected_build=GRCH38)


def sj_line(chrom: str, start: int, end: int, unique: int, strand: str = "2", multi: int = 3) -> str:
    """One STAR SJ.out.tab row: motif 2 (CT/AC), annotated, max overhang 50."""
    return f"{chrom}\t{start}\t{end}\t{strand}\t2\t1\t{unique}\t{multi}\t50"


def source(tmp_path: Path, lines: list[str], name: str = "SJ.out.tab") -> LineSource:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return LineSource(path)


def exon10_file(tmp_path: Path, chrom: str, skip: tuple[int, int], down: tuple[int, int], up: tuple[int, int]):
    lines = [
        sj_line(chrom, 1000, 2000, 99),  # chr3 but far from CRBN
        sj_line(chrom, *skip, 30),
        sj_line(chrom, *down, 60),
        sj_line(chrom, *up, 40),
        sj_line("chr7", 50_310_000, 50_320_000, 77, strand="1"),  # IKZF1: a pathway gene, not CRBN
    ]
    return source(tmp_path, lines)


# --- the shared corpus -------------------------------------------------------------------------------------------


def test_regtools_junction_is_the_gap_between_its_two_blocks(corpus_dir: Path) -> None:
    # Line 1: "1 22379140 22405020 JUNC00000001 742 + ... 2 95,99 0,25781". The first block covers 0-based
    # 22379140-22379234, so the intron starts at 1-based 22379236; the second block starts at 0-based
    # 22379140 + 25781 = 22404921, which is the 1-based last intronic base.
    path = corpus_dir / "rna_junctions" / "expected-a.out"
    result = junctions.parse(LineSource(path), ParseOptions(), loci=[Interval("1", 22_379_000, 22_380_000)])
    assert result.dialect == junctions.REGTOOLS
    assert result.junctions[0] == JunctionCount("1", 22_379_236, 22_404_921, 742, 1, "+")


def test_regtools_corpus_file_has_no_crbn_junction(corpus_dir: Path) -> None:
    path = corpus_dir / "rna_junctions" / "expected-a.out"
    source_ = LineSource(path)
    result = junctions.parse(source_, ParseOptions())
    assert junctions.sniff(source_.head(), path.name) == junctions.REGTOOLS
    assert (result.records_read, result.records_kept, result.build) == (25, 0, None)


def test_minus_strand_regtools_junction_keeps_its_strand(corpus_dir: Path) -> None:
    # Line 22: "1 22446966 22447774 JUNC00000022 3 - ... 44,71 0,737".
    path = corpus_dir / "rna_junctions" / "expected-a.out"
    result = junctions.parse(LineSource(path), ParseOptions(), loci=[Interval("1", 22_447_000, 22_447_100)])
    assert result.junctions == [JunctionCount("1", 22_446_966 + 44 + 1, 22_446_966 + 737, 3, 22, "-")]


def test_rmats_event_file_is_refused_with_a_reason(corpus_dir: Path) -> None:
    path = corpus_dir / "rna_splicing" / "fromGTF.SE.txt"
    source_ = LineSource(path)
    assert junctions.sniff(source_.head(), path.name) is None
    with pytest.raises(ParseError, match="rMATS event files without counts are not supported") as error:
        junctions.parse(source_, ParseOptions())
    assert "SJ.out.tab" in error.value.expected and error.value.line == 1


# --- exon-10 skipping ------------------------------------------------------------------------------------------


def test_grch38_exon10_skip_fraction_uses_the_mean_of_both_inclusion_junctions(tmp_path: Path) -> None:
    path = exon10_file(tmp_path, "3", (3151046, 3153423), (3151046, 3152455), (3152588, 3153423))
    result = junctions.parse(path, GRCH38_OPTIONS)
    counts = exon10_counts(result.junctions, GRCH38)
    assert counts == Exon10Counts(skip_reads=30, inclusion_downstream_reads=60, inclusion_upstream_reads=40)
    assert skip_fraction(counts) == pytest.approx(30 / (30 + 50))


def test_grch37_exon10_junctions_on_a_chr_prefixed_contig(tmp_path: Path) -> None:
    path = exon10_file(tmp_path, "chr3", (3192730, 3195107), (3192730, 3194139), (3194272, 3195107))
    result = junctions.parse(path, ParseOptions(expected_build=GRCH37))
    assert skip_fraction(exon10_counts(result.junctions, GRCH37)) == pytest.approx(0.375)
    assert exon10_counts(result.junctions, GRCH38) == Exon10Counts(0, 0, 0)


def test_junctions_outside_crbn_are_counted_but_dropped(tmp_path: Path) -> None:
    result = junctions.parse(
        exon10_file(tmp_path, "3", (3151046, 3153423), (3151046, 3152455), (3152588, 3153423)), GRCH38_OPTIONS
    )
    assert result.records_read == 5
    assert [(j.intron_start, j.reads, j.line) for j in result.junctions] == [
        (3151046, 30, 2),
        (3151046, 60, 3),
        (3152588, 40, 4),
    ]


def test_star_keeps_unique_reads_and_reads_its_strand_code(tmp_path: Path) -> None:
    result = junctions.parse(
        source(tmp_path, [sj_line("3", 3151046, 3153423, 7, strand="2", multi=900)]), GRCH38_OPTIONS
    )
    assert result.dialect == junctions.STAR
    assert result.junctions == [JunctionCount("3", 3151046, 3153423, 7, 1, "-")]


def test_without_the_sample_build_crbn_is_kept_in_either_build(tmp_path: Path) -> None:
    lines = [sj_line("3", 3151046, 3153423, 30), sj_line("3", 3192730, 3195107, 12)]
    result = junctions.parse(source(tmp_path, lines), ParseOptions())
    assert [j.reads for j in result.junctions] == [30, 12]


def test_a_gzipped_sj_out_tab_reads_like_a_plain_one(tmp_path: Path) -> None:
    path = tmp_path / "SJ.out.tab.gz"
    path.write_bytes(gzip.compress((sj_line("3", 3151046, 3152455, 60) + "\n").encode()))
    assert junctions.parse(LineSource(path), GRCH38_OPTIONS).junctions[0].reads == 60


def test_skip_fraction_is_none_without_reads() -> None:
    assert skip_fraction(Exon10Counts(0, 0, 0)) is None
    assert skip_fraction(Exon10Counts(5, 0, 0)) == 1.0


def test_the_same_intron_on_two_strands_is_summed() -> None:
    rows = [JunctionCount("chr3", 3151046, 3153423, 4, 1, "+"), JunctionCount("3", 3151046, 3153423, 6, 2, ".")]
    assert exon10_counts(rows, GRCH38).skip_reads == 10


def test_sniff_tells_star_from_other_tables() -> None:
    assert junctions.sniff([sj_line("3", 1, 2, 3)], "SJ.out.tab") == junctions.STAR
    assert junctions.sniff(["Name\tLength\tEffectiveLength\tTPM\tNumReads"], "quant.sf") is None
    assert junctions.sniff([], "empty") is None


# --- hostile input ------------------------------------------------------------------------------------------------


def test_a_line_with_the_wrong_column_count_is_named(tmp_path: Path) -> None:
    lines = [sj_line("3", 3151046, 3153423, 30), "3\t3151046\t3152455\t2\t2\t1\t60\t0"]
    with pytest.raises(ParseError, match="line 2: the line has 8 columns") as error:
        junctions.parse(source(tmp_path, lines), GRCH38_OPTIONS)
    assert "9 tab-separated columns" in error.value.expected


def test_a_non_integer_read_count_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"line 1: unique reads '12\.5' is not a whole number"):
        junctions.parse(source(tmp_path, ["3\t3151046\t3153423\t2\t2\t1\t12.5\t0\t50"]), GRCH38_OPTIONS)


def test_an_unknown_star_strand_code_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="strand '-' is not 0, 1 or 2"):
        junctions.parse(source(tmp_path, ["3\t3151046\t3153423\t-\t2\t1\t12\t0\t50"]), GRCH38_OPTIONS)


def test_a_regtools_row_with_three_blocks_is_refused(tmp_path: Path) -> None:
    row = "3\t3151000\t3153500\tJUNC1\t9\t-\t3151000\t3153500\t255,0,0\t3\t45,10,77\t0,100,2423"
    with pytest.raises(ParseError, match="blockCount is '3'"):
        junctions.parse(source(tmp_path, [row], "junctions.bed"), GRCH38_OPTIONS)


def test_an_intron_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 1: the intron 3153423-3151046 is empty"):
        junctions.parse(source(tmp_path, [sj_line("3", 3153423, 3151046, 5)]), GRCH38_OPTIONS)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the file is empty"):
        junctions.parse(source(tmp_path, []), GRCH38_OPTIONS)
