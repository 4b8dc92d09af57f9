"""MAF: the shared corpus (TCGA LAML, vcf2maf, a classic-Mac CR-only file) and generated CRBN rows."""

import gzip
from pathlib import Path
from typing import Any

import pytest

from variants.crbn import CRBN_EXONS, GRCH37, GRCH38, Interval
from variants.parsers import maf
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import LineSource

EXON10_GRCH38 = CRBN_EXONS[GRCH38][9][0] + 44
GDC_COLUMNS = (
    "Hugo_Symbol",
    "NCBI_Build",
    "Chromosome",
    "Start_Position",
    "End_Position",
    "Variant_Classification",
    "Reference_Allele",
    "Tumor_Seq_Allele1",
    "Tumor_Seq_Allele2",
    "Tumor_Sample_Barcode",
    "HGVSc",
    "HGVSp_Short",
    "Transcript_ID",
    "Exon_Number",
    "Protein_position",
    "t_ref_count",
    "t_alt_count",
    "n_alt_count",
)
NO_CHOICES = ParseOptions()


def gdc_row(**values: str) -> str:
    row = {
        "Hugo_Symbol": "CRBN",
        "NCBI_Build": "GRCh38",
        "Chromosome": "chr3",
        "Start_Position": str(EXON10_GRCH38),
        "End_Position": str(EXON10_GRCH38),
        "Variant_Classification": "Missense_Mutation",
        "Reference_Allele": "A",
        "Tumor_Seq_Allele1": "A",
        "Tumor_Seq_Allele2": "G",
        "Tumor_Sample_Barcode": "MM-042-RELAPSE",
        "HGVSc": "c.1171T>C",
        "HGVSp_Short": "p.C391R",
        "Transcript_ID": "ENST00000231948",
        "Exon_Number": "10/11",
        "Protein_position": "391/442",
        "t_ref_count": "90",
        "t_alt_count": "30",
        "n_alt_count": "0",
    }
    row.update(values)
    return "\t".join(row[column] for column in GDC_COLUMNS)


def write_maf(tmp_path: Path, rows: list[str], end: str = "\n", name: str = "t.maf") -> Path:
    path = tmp_path / name
    path.write_bytes(end.join(["#version 2.4", "\t".join(GDC_COLUMNS), *rows, ""]).encode())
    return path


def parse(path: Path, options: ParseOptions = NO_CHOICES, **kwargs: Any) -> ParseResult:
    return maf.parse(LineSource(path), options, **kwargs)


# --- the shared corpus -----------------------------------------------------------------------------------------------


def test_tcga_laml_maf_with_193_tumours_needs_the_tumour_chosen(corpus_dir: Path) -> None:
    with pytest.raises(ParseError, match="193 tumour samples") as error:
        parse(corpus_dir / "maf" / "tcga_laml.maf.gz")
    assert error.value.line == 3  # where the second barcode first appears
    assert "TCGA-AB-2988, TCGA-AB-2869" in error.value.problem and "and 173 more" in error.value.problem


def test_tcga_laml_minimal_maf_gives_vaf_from_i_tumorvaf_wu(corpus_dir: Path) -> None:
    # Line 2: ABCA10 17:67170917 T>C Splice_Site p.K960R, i_TumorVAF_WU 45.66, NM_080282.3.
    options = ParseOptions(tumour_sample="TCGA-AB-2988")
    result = parse(
        corpus_dir / "maf" / "tcga_laml.maf.gz", options, loci={"ABCA10": Interval("17", 67_170_917, 67_170_917)}
    )
    assert (result.dialect, result.build, result.build_evidence) == (
        "TCGA MAF (minimal)",
        GRCH37,
        "NCBI_Build 37 (line 2)",
    )
    assert (result.tumour_sample, result.tumour_sample_reason, result.records_read) == (
        "TCGA-AB-2988",
        "chosen at upload",
        2207,
    )
    [variant] = result.small_variants
    assert (variant.chrom, variant.pos, variant.ref, variant.alt, variant.line) == ("17", 67_170_917, "T", "C", 2)
    assert (variant.vaf, variant.vaf_source) == (pytest.approx(0.4566), "i_TumorVAF_WU")
    assert (variant.hgvs_p, variant.protein_position, variant.consequence) == (
        "p.Lys960Arg",
        960,
        "splice_site_variant",
    )
    assert (variant.transcript, variant.filter) == ("NM_080282.3", ".")


def test_tcga_laml_ikzf1_row_is_kept_in_the_default_grch37_loci(corpus_dir: Path) -> None:
    # Line 956: IKZF1 7:50444459 A>G p.N130S, 40.38%, ENST00000331340, tumour TCGA-AB-2906.
    result = parse(corpus_dir / "maf" / "tcga_laml.maf.gz", ParseOptions(tumour_sample="TCGA-AB-2906"))
    [variant] = result.small_variants
    assert (variant.gene, variant.line, variant.hgvs_p, variant.vaf) == (
        "IKZF1",
        956,
        "p.Asn130Ser",
        pytest.approx(0.4038),
    )
    assert (variant.transcript, variant.needs_annotation) == ("ENST00000331340", False)


def test_tcga_laml_silent_change_is_written_as_synonymous(corpus_dir: Path) -> None:
    # Line 957: IKZF3 17:37922154 G>A Silent p.C473C, tumour TCGA-AB-2908.
    result = parse(corpus_dir / "maf" / "tcga_laml.maf.gz", ParseOptions(tumour_sample="TCGA-AB-2908"))
    [variant] = result.small_variants
    assert (variant.gene, variant.hgvs_p, variant.consequence) == ("IKZF3", "p.Cys473=", "synonymous_variant")


def test_vcf2maf_output_uses_counts_and_hgvsp(corpus_dir: Path) -> None:
    # Line 3: RUNX1 21:34792292 A>C, t_depth 54, t_alt_count 21, t_ref_count ".", n_alt_count "."; line 4 n_alt 0.
    result = parse(corpus_dir / "maf" / "test_b38_output.maf", loci={"RUNX1": Interval("21", 34_792_000, 34_793_000)})
    assert (result.dialect, result.build, result.build_evidence) == (
        "vcf2maf MAF",
        GRCH38,
        "NCBI_Build GRCh38 (line 3)",
    )
    assert (result.tumour_sample, result.tumour_sample_reason, result.records_read) == (
        "TUMOR",
        "the only Tumor_Sample_Barcode",
        25,
    )
    first, second = result.small_variants
    assert (first.line, first.vaf, first.vaf_source, first.depth, first.alt_count) == (3, 21 / 54, "MAF counts", 54, 21)
    assert (first.hgvs_c, first.hgvs_p, first.transcript) == ("c.1286T>G", "p.Leu429Arg", "ENST00000675419")
    assert (first.exon, first.protein_position, first.consequence) == (9, 429, "missense_variant")
    assert (first.normal_alt_count, second.normal_alt_count) == (None, 0)


def test_vcf2maf_output_has_nothing_in_the_grch38_loci(corpus_dir: Path) -> None:
    assert parse(corpus_dir / "maf" / "test_b38_output.maf").records_kept == 0


def test_classic_mac_cr_only_maf_is_read_line_by_line(corpus_dir: Path) -> None:
    # Line 2: AARSD1 chr17:41103836 C>A, amino_acid_change V536L (no "p."), NCBI_Build hg19, tumour DS2D.
    path = corpus_dir / "maf_malformed" / "APL_primary.maf.gz"
    options = ParseOptions(tumour_sample="DS2D")
    result = parse(path, options, loci={"AARSD1": Interval("17", 41_103_836, 41_103_836)})
    assert (result.dialect, result.build, result.records_read) == ("MAF", GRCH37, 269)
    [variant] = result.small_variants
    assert (variant.chrom, variant.line, variant.hgvs_p, variant.consequence) == (
        "17",
        2,
        "p.Val536Leu",
        "missense_variant",
    )
    assert (variant.vaf, variant.vaf_source) == (None, "")


def test_rows_without_a_position_are_skipped_and_reported_when_their_gene_is_kept(corpus_dir: Path) -> None:
    # Line 232: FLT3_ITD chr13 NA NA for tumour 144D.
    path = corpus_dir / "maf_malformed" / "APL_primary.maf.gz"
    result = parse(path, ParseOptions(tumour_sample="144D"), loci={"FLT3_ITD": Interval("13", 28_608_000, 28_609_000)})
    assert result.small_variants == []
    assert result.warnings == ["line 232: a FLT3_ITD row without Start_Position was not kept"]


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("maf/tcga_laml.maf.gz", "TCGA MAF (minimal)"),
        ("maf/test_b38_output.maf", "vcf2maf MAF"),
        ("maf_malformed/APL_primary.maf.gz", "MAF"),
        ("vcf/freebayes.vcf", None),
    ],
)
def test_sniff_recognises_maf_headers(corpus_dir: Path, name: str, dialect: str | None) -> None:
    source = LineSource(corpus_dir / name)
    assert maf.sniff(source.head(400), source.name) == dialect


# --- generated CRBN rows -------------------------------------------------------------------------------------------


def test_crbn_row_with_hgvsp_short_becomes_three_letter_on_the_canonical_transcript(tmp_path: Path) -> None:
    result = parse(write_maf(tmp_path, [gdc_row()]))
    assert (result.build, result.tumour_sample, result.records_read) == (GRCH38, "MM-042-RELAPSE", 1)
    [variant] = result.small_variants
    assert (variant.gene, variant.chrom, variant.pos, variant.ref, variant.alt) == (
        "CRBN",
        "3",
        EXON10_GRCH38,
        "A",
        "G",
    )
    assert (variant.hgvs_c, variant.hgvs_p, variant.protein_position, variant.exon) == (
        "c.1171T>C",
        "p.Cys391Arg",
        391,
        10,
    )
    assert (variant.vaf, variant.vaf_source, variant.depth, variant.alt_count) == (0.25, "MAF counts", 120, 30)
    assert (variant.consequence, variant.normal_alt_count, variant.needs_annotation) == ("missense_variant", 0, False)
    assert (variant.line, result.warnings) == (3, [])


def test_crbn_row_on_isoform_2_is_moved_to_canonical_numbering(tmp_path: Path) -> None:
    row = gdc_row(Transcript_ID="ENST00000432408", HGVSp_Short="p.C390R", HGVSc="c.1168T>C", Protein_position="390/441")
    result = parse(write_maf(tmp_path, [row]))
    [variant] = result.small_variants
    assert (variant.hgvs_p, variant.protein_position, variant.transcript) == ("p.Cys391Arg", 391, "ENST00000432408")
    [warning] = result.warnings
    assert warning.startswith("line 3: CRBN annotated only on isoform 2")


def test_crbn_exonic_row_without_a_protein_change_needs_annotation(tmp_path: Path) -> None:
    row = gdc_row(HGVSc="", HGVSp_Short="", Exon_Number="", Protein_position="", Transcript_ID="")
    [variant] = parse(write_maf(tmp_path, [row])).small_variants
    assert (variant.exon, variant.hgvs_p, variant.needs_annotation) == (10, "", True)


def test_crbn_row_on_another_transcript_is_flagged(tmp_path: Path) -> None:
    result = parse(write_maf(tmp_path, [gdc_row(Transcript_ID="ENST00000424814")]))
    assert result.warnings == ["line 3: CRBN row annotated on ENST00000424814, not the MANE Select transcript"]


def test_cr_only_line_endings_in_a_generated_gzip_maf(tmp_path: Path) -> None:
    plain = write_maf(tmp_path, [gdc_row(), gdc_row(Start_Position="1000", End_Position="1000")], end="\r")
    compressed = tmp_path / "mac.maf.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    result = parse(compressed)
    assert (result.records_read, len(result.small_variants), result.small_variants[0].line) == (2, 1, 3)


def test_several_tumours_with_one_chosen_keeps_only_its_rows(tmp_path: Path) -> None:
    rows = [gdc_row(), gdc_row(Tumor_Sample_Barcode="MM-042-BASELINE", t_alt_count="3")]
    result = parse(write_maf(tmp_path, rows), ParseOptions(tumour_sample="MM-042-BASELINE"))
    [variant] = result.small_variants
    assert (variant.alt_count, variant.line, result.records_read) == (3, 4, 2)


# --- hostile inputs --------------------------------------------------------------------------------------------------


def test_an_unknown_tumour_sample_is_refused_listing_the_barcodes(tmp_path: Path) -> None:
    rows = [gdc_row(), gdc_row(Tumor_Sample_Barcode="MM-042-BASELINE")]
    with pytest.raises(ParseError, match="'MM-999' is not in Tumor_Sample_Barcode") as error:
        parse(write_maf(tmp_path, rows), ParseOptions(tumour_sample="MM-999"))
    assert error.value.expected == "one of MM-042-RELAPSE, MM-042-BASELINE"


def test_a_row_with_the_wrong_column_count_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write_maf(tmp_path, [gdc_row(), gdc_row().rsplit("\t", 2)[0]])
    with pytest.raises(ParseError, match="the row has 16 columns") as error:
        parse(path)
    assert (error.value.line, error.value.expected) == (4, "18 tab-separated columns, as on the header line 2")


def test_rows_that_disagree_about_the_build_are_refused(tmp_path: Path) -> None:
    path = write_maf(tmp_path, [gdc_row(), gdc_row(NCBI_Build="GRCh37")])
    with pytest.raises(ParseError, match="NCBI_Build 'GRCh37' differs") as error:
        parse(path)
    assert error.value.line == 4


def test_an_unknown_build_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="'hg17' is not a known build") as error:
        parse(write_maf(tmp_path, [gdc_row(NCBI_Build="hg17")]))
    assert error.value.line == 3


def test_a_file_that_is_not_a_maf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Gene\tChange\nCRBN\tC391R\n")
    with pytest.raises(ParseError, match="not a MAF header") as error:
        parse(path)
    assert error.value.line == 1


def test_a_header_without_required_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "short.maf"
    path.write_text("Hugo_Symbol\tChromosome\nCRBN\t3\n")
    with pytest.raises(ParseError, match="lacks Start_Position, Reference_Allele"):
        parse(path)


def test_an_empty_maf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.maf"
    path.write_bytes(b"")
    with pytest.raises(ParseError, match="no MAF header line"):
        parse(path)


def test_a_non_utf8_byte_in_a_kept_row_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write_maf(tmp_path, [gdc_row()])
    path.write_bytes(path.read_bytes().replace(b"c.1171T>C", b"c.1171T>C\xe9"))
    with pytest.raises(ParseError, match="not UTF-8") as error:
        parse(path)
    assert error.value.line == 3


def test_a_position_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="Start_Position '3x' is not a position") as error:
        parse(write_maf(tmp_path, [gdc_row(Start_Position="3x")]))
    assert error.value.line == 3
