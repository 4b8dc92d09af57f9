"""Copy-number segments: CNVkit, GATK, IGV/DNAcopy .seg, FACETS, ASCAT and PCGR tables, CRBN and pathway kept."""

import math
from pathlib import Path

import pytest

from variants.crbn import GRCH37, GRCH38, Interval
from variants.parsers import copy_number
from variants.parsers.copy_number import LOG2_SOURCE
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import LineSource

GRCH37_OPTIONS = ParseOptions(expected_build=GRCH37)
GRCH38_OPTIONS = ParseOptions(expected_build=GRCH38)
CNVKIT_HEADER = "chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight"
FACETS_HEADER = (
    "chrom\tseg\tnum.mark\tnhet\tcnlr.median\tmafR\tsegclust\tcnlr.median.clust\tmafR.clust\tstart\tend\t"
    "cf.em\ttcn.em\tlcn.em"
)
SEG_HEADER = "ID\tchrom\tloc.start\tloc.end\tnum.mark\tseg.mean"


def write(tmp_path: Path, lines: list[str], name: str = "sample.tsv") -> LineSource:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return LineSource(path)


def parse_lines(tmp_path: Path, lines: list[str], options: ParseOptions = GRCH38_OPTIONS, **kwargs) -> ParseResult:
    return copy_number.parse(write(tmp_path, lines), options, **kwargs)


def crbn(result: ParseResult) -> list:
    return [segment for segment in result.segments if segment.gene == "CRBN"]


# --- the shared corpus -------------------------------------------------------------------------------------------


def test_pcgr_example_has_one_copy_neutral_loh_segment_over_crbn_in_grch38(corpus_dir: Path) -> None:
    # Line 34: "3  1033342  21546098  2  0": two copies, both from one parent.
    source = LineSource(corpus_dir / "cnv" / "T001-BRCA.grch38.cna.tsv")
    result = copy_number.parse(source, GRCH38_OPTIONS)
    assert copy_number.sniff(source.head(), "T001-BRCA.grch38.cna.tsv") == "PCGR allele-specific CNA"
    [segment] = crbn(result)
    assert (segment.chrom, segment.start, segment.end, segment.line) == ("3", 1_033_342, 21_546_098, 34)
    assert (segment.major_cn, segment.minor_cn, segment.copy_number) == (2, 0, 2.0)
    assert segment.loh is True
    assert segment.source == "nMajor+nMinor"
    assert (result.records_read, result.build, result.kind) == (260, None, "copy_number")


def test_tcga_seg_segment_spanning_crbn_is_neutral(corpus_dir: Path) -> None:
    # Line 119: "TCGA-AB-3009  3  60345  10192929  8632  -0.0132".
    result = copy_number.parse(LineSource(corpus_dir / "cnv" / "TCGA.AB.3009.hg19.seg.txt"), GRCH37_OPTIONS)
    [segment] = crbn(result)
    assert (segment.start, segment.end, segment.probes, segment.log2_ratio) == (60_345, 10_192_929, 8632, -0.0132)
    assert (segment.copy_number, segment.source) == (2.0, LOG2_SOURCE)
    assert (result.dialect, result.tumour_sample, result.records_read) == ("IGV/DNAcopy .seg", "TCGA-AB-3009", 818)
    assert copy_number.LOG2_WARNING in result.warnings


def test_cnvkit_call_segment_over_crbn_has_two_copies_and_a_one_based_start(corpus_dir: Path) -> None:
    # Line 56: "chr3  164852  9413684  CNTN4,GRM7  -0.0875763  2  36.2709  49  47.4534"; CNVkit starts are 0-based.
    result = copy_number.parse(LineSource(corpus_dir / "cnv" / "p2-9_2.call.cns"), GRCH37_OPTIONS)
    [segment] = crbn(result)
    assert (segment.chrom, segment.start, segment.end) == ("3", 164_853, 9_413_684)
    assert (segment.copy_number, segment.source, segment.log2_ratio, segment.probes) == (2.0, "cn", -0.0875763, 49)
    assert copy_number.LOG2_WARNING not in result.warnings


def test_cnvkit_segment_without_cn_column_estimates_copy_number_from_log2(corpus_dir: Path) -> None:
    # Line 12: "chr3  60500  65409798  CNTN4,...  -0.0147912  627  474.924  0.996131".
    result = copy_number.parse(LineSource(corpus_dir / "cnv" / "tr95t.cns"), GRCH37_OPTIONS)
    [segment] = crbn(result)
    assert (segment.start, segment.end, segment.line) == (60_501, 65_409_798, 12)
    assert segment.log2_ratio == pytest.approx(-0.015, abs=1e-3)
    assert (segment.copy_number, segment.source, segment.probes) == (2.0, LOG2_SOURCE, 627)
    assert copy_number.LOG2_WARNING in result.warnings


def test_cnvkit_bins_near_myc_are_kept_and_none_near_crbn(corpus_dir: Path) -> None:
    # Line 722: "chr8  128748796  128748956  MYC  1.77173  3.41463  0.401002".
    source = LineSource(corpus_dir / "cnv" / "amplicon.cnr")
    result = copy_number.parse(source, GRCH37_OPTIONS)
    assert copy_number.sniff(source.head(), "amplicon.cnr") == "CNVkit .cnr"
    assert crbn(result) == []
    assert {segment.gene for segment in result.segments} == {"MYC"}
    first = result.segments[0]
    assert (first.start, first.end, first.log2_ratio, first.copy_number) == (128_748_797, 128_748_956, 1.77173, 7.0)
    assert result.records_read == 1433


def test_r_warning_line_before_the_seg_header_is_skipped_with_a_warning(corpus_dir: Path) -> None:
    # Line 1 is "WARNING: ignoring environment value of R_HOME"; line 3 is the first segment, every field quoted.
    source = LineSource(corpus_dir / "cnv_malformed" / "warning.seg")
    result = copy_number.parse(source, ParseOptions(), loci={"TEST": Interval("1", 10_400, 10_400)})
    assert copy_number.sniff(source.head(), "warning.seg") == "IGV/DNAcopy .seg"
    [segment] = result.segments
    assert (segment.chrom, segment.start, segment.end, segment.line) == ("1", 10_400, 40_010, 3)
    assert (segment.log2_ratio, segment.probes) == (0.261269921083404, 146)
    assert result.tumour_sample == "MySample"
    assert any("line 1 skipped" in warning and "R_HOME" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("name", "dialect", "log2"),
    [
        ("single-sample-cr-ac-nac.cr.seg", "GATK ModelSegments .seg", 0.934380),
        ("single-sample-cr-ac-nac.modelFinal.seg", "GATK ModelSegments .seg", 0.931931),
    ],
)
def test_gatk_segment_values_and_build_from_the_sam_header(corpus_dir: Path, name: str, dialect: str, log2) -> None:
    # Line 6 of both: chr20 10033509-25269459 with 636 copy-ratio points; @SQ carries AS:GRCh37.
    source = LineSource(corpus_dir / "cnv" / name)
    result = copy_number.parse(source, ParseOptions(), loci={"TEST": Interval("20", 10_033_509, 10_033_509)})
    assert copy_number.sniff(source.head(), name) == dialect
    [segment] = result.segments
    assert (segment.chrom, segment.start, segment.end, segment.line) == ("20", 10_033_509, 25_269_459, 6)
    assert (segment.probes, segment.log2_ratio, segment.copy_number) == (636, log2, 4.0)
    assert (result.build, result.build_evidence) == (GRCH37, "@SQ AS:GRCh37")


def test_gatk_corpus_files_touch_no_kept_gene(corpus_dir: Path) -> None:
    for name in ("single-sample-cr-ac-nac.cr.seg", "single-sample-cr-ac-nac.modelFinal.seg"):
        result = copy_number.parse(LineSource(corpus_dir / "cnv" / name), ParseOptions())
        assert (result.records_read, result.records_kept) == (8, 0)


def test_only_copy_number_tables_are_sniffed_as_copy_number(corpus_dir: Path) -> None:
    claimed = {
        path.name
        for path in corpus_dir.rglob("*")
        if path.is_file() and path.suffix != ".tbi" and copy_number.sniff(LineSource(path).head(), path.name)
    }
    expected = {path.name for folder in ("cnv", "cnv_malformed") for path in (corpus_dir / folder).iterdir()}
    assert claimed == expected


# --- generated CRBN-positive files ---------------------------------------------------------------------------------


def test_cnvkit_single_copy_loss_of_crbn(tmp_path: Path) -> None:
    lines = [CNVKIT_HEADER, "chr3\t3100000\t3200000\tCRBN\t-1.0\t1\t30.5\t40\t38.2"]
    result = parse_lines(tmp_path, lines)
    [segment] = result.segments
    assert (segment.gene, segment.copy_number, segment.log2_ratio, segment.source) == ("CRBN", 1.0, -1.0, "cn")
    assert (segment.start, segment.end, segment.probes) == (3_100_001, 3_200_000, 40)


def test_cnvkit_allele_specific_columns_give_major_and_minor(tmp_path: Path) -> None:
    lines = [CNVKIT_HEADER + "\tcn1\tcn2", "chr3\t3100000\t3200000\tCRBN\t0.0\t2\t30.5\t40\t38.2\t2\t0"]
    [segment] = parse_lines(tmp_path, lines).segments
    assert (segment.major_cn, segment.minor_cn, segment.loh) == (2, 0, True)


def test_facets_copy_neutral_loh_of_crbn(tmp_path: Path) -> None:
    lines = [FACETS_HEADER, "3\t4\t812\t95\t-0.02\t0.41\t2\t-0.01\t0.40\t3000000\t3300000\t0.82\t2\t0"]
    [segment] = parse_lines(tmp_path, lines).segments
    assert (segment.gene, segment.copy_number, segment.major_cn, segment.minor_cn) == ("CRBN", 2.0, 2, 0)
    assert (segment.loh, segment.source, segment.probes) == (True, "tcn.em", 812)


def test_facets_chromosome_23_is_x_and_na_minor_copy_number_stays_unknown(tmp_path: Path) -> None:
    lines = [FACETS_HEADER, "23\t40\t300\t0\t-0.5\t0.0\t3\t-0.5\t0.0\t120000000\t121000000\t0.7\t1\tNA"]
    [segment] = parse_lines(tmp_path, lines).segments
    assert (segment.gene, segment.chrom, segment.copy_number) == ("CUL4B", "X", 1.0)
    assert (segment.major_cn, segment.minor_cn, segment.loh) == (None, None, None)


def test_ascat_biallelic_loss_of_crbn(tmp_path: Path) -> None:
    lines = ["sample\tchr\tstartpos\tendpos\tnMajor\tnMinor", "TUM01\t3\t3140000\t3190000\t0\t0"]
    result = parse_lines(tmp_path, lines)
    [segment] = result.segments
    assert (segment.gene, segment.copy_number, segment.major_cn, segment.minor_cn) == ("CRBN", 0.0, 0, 0)
    assert (result.dialect, result.tumour_sample) == ("ASCAT segments", "TUM01")


def test_gatk_called_segments_read_the_build_from_chr3_length(tmp_path: Path) -> None:
    lines = [
        "@HD\tVN:1.6",
        "@SQ\tSN:chr3\tLN:198295559",
        "CONTIG\tSTART\tEND\tNUM_POINTS_COPY_RATIO\tMEAN_LOG2_COPY_RATIO\tCALL",
        "chr3\t3100000\t3200000\t120\t-1.02\t-",
    ]
    result = parse_lines(tmp_path, lines, ParseOptions())
    [segment] = result.segments
    assert (result.dialect, result.build, result.build_evidence) == (
        "GATK CallCopyRatioSegments .seg",
        GRCH38,
        "@SQ SN:chr3 LN:198295559",
    )
    assert (segment.gene, segment.copy_number, segment.source, segment.probes) == ("CRBN", 1.0, LOG2_SOURCE, 120)


def test_unknown_build_keeps_segments_over_crbn_in_either_build_and_says_so(tmp_path: Path) -> None:
    # 3,186,000-3,192,000 touches padded GRCh37 CRBN (from 3,186,695) but not GRCh38's (to 3,184,710).
    lines = [CNVKIT_HEADER, "chr3\t3186000\t3192000\tCRBN\t-1.0\t1\t30.5\t4\t3.2"]
    unknown = parse_lines(tmp_path, lines, ParseOptions())
    assert [segment.gene for segment in unknown.segments] == ["CRBN"]
    assert copy_number.UNKNOWN_BUILD_NOTE in unknown.warnings
    assert parse_lines(tmp_path, lines, GRCH38_OPTIONS).segments == []


def test_multi_sample_seg_keeps_only_the_chosen_tumour(tmp_path: Path) -> None:
    lines = [SEG_HEADER, "NORMAL1\t3\t3000000\t3300000\t50\t0.01", "TUMOUR1\t3\t3000000\t3300000\t50\t-1.1"]
    result = parse_lines(tmp_path, lines, ParseOptions(tumour_sample="TUMOUR1", expected_build=GRCH38))
    [segment] = result.segments
    assert (segment.log2_ratio, segment.line) == (-1.1, 3)
    assert (result.tumour_sample, result.tumour_sample_reason) == ("TUMOUR1", "chosen by the uploader")
    assert result.records_read == 2


def test_multi_sample_seg_without_a_chosen_tumour_is_refused_listing_the_samples(tmp_path: Path) -> None:
    lines = [SEG_HEADER, "NORMAL1\t3\t3000000\t3300000\t50\t0.01", "TUMOUR1\t3\t3000000\t3300000\t50\t-1.1"]
    with pytest.raises(ParseError, match="2 samples") as raised:
        parse_lines(tmp_path, lines)
    assert raised.value.expected == "the tumour sample chosen from: NORMAL1, TUMOUR1"


def test_r_row_names_column_is_dropped(tmp_path: Path) -> None:
    lines = [SEG_HEADER, '"1"\t"TUM"\t"3"\t3000000\t3300000\t50\t-1.1']
    result = parse_lines(tmp_path, lines)
    assert [segment.log2_ratio for segment in result.segments] == [-1.1]
    assert any("R row names" in warning for warning in result.warnings)


def test_seg_without_a_sample_column_is_pcgr_log2_input(tmp_path: Path) -> None:
    result = parse_lines(tmp_path, ["Chromosome\tStart\tEnd\tSegment_Mean", "3\t3000000\t3300000\t-1.05"])
    [segment] = result.segments
    assert (result.dialect, result.tumour_sample, segment.log2_ratio, segment.copy_number) == (
        "IGV/DNAcopy .seg",
        "",
        -1.05,
        1.0,
    )


def test_start_written_in_exponent_form_is_read(tmp_path: Path) -> None:
    lines = [SEG_HEADER, "TUM\t3\t3e+06\t3300000\t50\t-1.1"]
    [segment] = parse_lines(tmp_path, lines).segments
    assert segment.start == 3_000_000


# --- hostile inputs -----------------------------------------------------------------------------------------------


def test_missing_required_column_names_the_header_line_and_the_expected_columns(tmp_path: Path) -> None:
    lines = ["chromosome\tstart\tend\tgene\tdepth\tprobes", "chr3\t3100000\t3200000\tCRBN\t30.5\t40"]
    with pytest.raises(ParseError, match="lacks log2") as raised:
        parse_lines(tmp_path, lines)
    assert raised.value.line == 1
    assert raised.value.expected == "columns chromosome start end gene log2 probes"


def test_non_numeric_start_is_refused_naming_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="column start is 'abc'") as raised:
        parse_lines(tmp_path, [CNVKIT_HEADER, "chr1\tabc\t200\t-\t0.1\t2\t30\t4\t3"])
    assert raised.value.line == 2


def test_non_numeric_value_is_refused_even_outside_the_kept_genes(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="column log2 is 'high'") as raised:
        parse_lines(tmp_path, [CNVKIT_HEADER, "chr1\t100\t200\t-\thigh\t2\t30\t4\t3"])
    assert raised.value.line == 2


@pytest.mark.parametrize(("log2", "cn"), [("1e400", "2"), ("0.1", "-1"), ("0.1", "inf")])
def test_impossible_numbers_are_refused(tmp_path: Path, log2: str, cn: str) -> None:
    with pytest.raises(ParseError, match=r"column (log2|cn) is") as raised:
        parse_lines(tmp_path, [CNVKIT_HEADER, f"chr1\t100\t200\t-\t{log2}\t{cn}\t30\t4\t3"])
    assert raised.value.line == 2


def test_zero_depth_log2_of_minus_infinity_means_no_copies(tmp_path: Path) -> None:
    lines = [CNVKIT_HEADER.replace("\tcn", ""), "chr3\t3100000\t3200000\tCRBN\t-inf\t0\t40\t38.2"]
    [segment] = parse_lines(tmp_path, lines).segments
    assert (segment.log2_ratio, segment.copy_number) == (-math.inf, 0.0)


def test_segment_ending_before_it_starts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="ends") as raised:
        parse_lines(tmp_path, [SEG_HEADER, "TUM\t3\t3300000\t3000000\t50\t-1.1"])
    assert (raised.value.line, raised.value.expected) == (2, "end >= start")


def test_unknown_sample_for_a_multi_sample_seg_is_refused(tmp_path: Path) -> None:
    lines = [SEG_HEADER, "A\t3\t3000000\t3300000\t50\t0.0", "B\t3\t3000000\t3300000\t50\t-1.0"]
    with pytest.raises(ParseError, match="'C' is not in the file") as raised:
        parse_lines(tmp_path, lines, ParseOptions(tumour_sample="C"))
    assert raised.value.expected == "the tumour sample chosen from: A, B"


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the file is empty") as raised:
        parse_lines(tmp_path, [])
    assert raised.value.line is None


def test_row_with_a_missing_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the row has 5 fields but the header has 6"):
        parse_lines(tmp_path, [SEG_HEADER, "TUM\t3\t3000000\t3300000\t50"])


def test_sam_header_declaring_two_builds_is_refused(tmp_path: Path) -> None:
    lines = ["@SQ\tSN:3\tLN:198022430\tAS:GRCh38", "CONTIG\tSTART\tEND\tNUM_POINTS_COPY_RATIO\tMEAN_LOG2_COPY_RATIO"]
    with pytest.raises(ParseError, match="contradicts") as raised:
        parse_lines(tmp_path, lines)
    assert raised.value.line == 1


def test_many_stray_lines_before_any_header_are_not_a_table(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="too many lines"):
        parse_lines(tmp_path, [f"Warning message {n}" for n in range(10)])


def test_header_only_file_reads_no_segments_and_warns(tmp_path: Path) -> None:
    result = parse_lines(tmp_path, [CNVKIT_HEADER])
    assert (result.records_read, result.segments) == (0, [])
    assert "the file has a header but no segments" in result.warnings
