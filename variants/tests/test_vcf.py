"""Small-variant VCFs: the shared corpus as written by real callers, generated CRBN-positive files in those
dialects, the tabix path, and hostile inputs refused with the line named."""

import gzip
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pysam
import pytest

from variants.crbn import CRBN_EXONS, CRBN_GENE, GRCH37, GRCH38, Interval
from variants.parsers import vcf
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import Limits, LineSource
from variants.parsers.vcf_header import read_header

COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
CHR3_GRCH38 = "##contig=<ID=chr3,length=198295559>"
CHR3_GRCH37 = "##contig=<ID=3,length=198022430>"
# Inside CRBN exon 10 in both builds (the same offset from the exon's start); the gene is on the minus strand,
# so c.1171T>C is A>G on the genome.
EXON10_GRCH38 = CRBN_EXONS[GRCH38][9][0] + 44
EXON10_GRCH37 = CRBN_EXONS[GRCH37][9][0] + 44
CSQ_LAYOUT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|Protein_position"
)
CSQ_HEADER = (
    f'##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. Format: {CSQ_LAYOUT}">'
)
MANE_CSQ = (
    "G|missense_variant|MODERATE|CRBN|ENSG00000113851|Transcript|NM_016302.4|protein_coding|10/11||"
    "NM_016302.4:c.1171T>C|NP_057386.2:p.Cys391Arg|391"
)
OTHER_CSQ = "G|intron_variant|MODIFIER|CRBN|ENSG00000113851|Transcript|ENST00000424814.5|protein_coding||9/9|||"
MUTECT2_META = [
    "##source=Mutect2",
    "##tumor_sample=RELAPSE_BM",
    "##normal_sample=GERMLINE_PB",
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
    CSQ_HEADER,
]
NO_CHOICES = ParseOptions()


def write_vcf(tmp_path: Path, meta: list[str], samples: list[str], records: list[str], name: str = "t.vcf") -> Path:
    header = "\t".join([COLUMNS, "FORMAT", *samples]) if samples else COLUMNS
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in ["##fileformat=VCFv4.2", *meta, header, *records]))
    return path


def parse(path: Path, options: ParseOptions = NO_CHOICES, **kwargs: Any) -> ParseResult:
    return vcf.parse(LineSource(path), options, **kwargs)


def corpus(corpus_dir: Path, name: str, options: ParseOptions = NO_CHOICES, **kwargs: Any) -> ParseResult:
    return parse(corpus_dir / name, options, **kwargs)


def mutect2_record(pos: int, csq: str = MANE_CSQ, chrom: str = "chr3") -> str:
    return f"{chrom}\t{pos}\t.\tA\tG\t.\tPASS\tDP=180;CSQ={csq}\tGT:AD:AF:DP\t0/0:60,1:0.016:61\t0/1:90,30:0.25:120"


def bgzip_with_index(tmp_path: Path, plain: Path) -> Path:
    """The bgzip-compressed copy of ``plain``, with its .tbi beside it."""
    compressed = tmp_path / (plain.name + ".gz")
    pysam.tabix_compress(str(plain), str(compressed), force=True)
    pysam.tabix_index(str(compressed), preset="vcf", force=True)
    return compressed


# --- the shared corpus ---------------------------------------------------------------------------------------------


def test_mutect2_corpus_file_takes_the_tumour_from_its_header_and_vaf_from_af(corpus_dir: Path) -> None:
    # Line 147: 16:62340 G>C germline_risk;mapping_quality, tumor_downsample 0/1:7,2:0.222:9, normal AD 8,0.
    result = corpus(corpus_dir, "vcf/test-mutect2.vcf.gz", loci={"WASH4P": Interval("16", 62_000, 63_000)})
    assert (result.dialect, result.build, result.build_evidence) == ("Mutect2 VCF", GRCH37, CHR3_GRCH37)
    assert (result.tumour_sample, result.tumour_sample_reason) == ("tumor_downsample", "##tumor_sample header")
    assert result.records_read == 24
    [variant] = result.small_variants
    assert (variant.pos, variant.ref, variant.alt, variant.line) == (62_340, "G", "C", 147)
    assert (variant.vaf, variant.vaf_source, variant.depth, variant.alt_count) == (0.222, "AF", 9, 2)
    assert (variant.normal_alt_count, variant.germline_flag) == (0, True)
    assert variant.filter == "germline_risk;mapping_quality"
    # SnpEff ANN on WASH4P's protein-coding transcript ENST00000326592.
    assert (variant.consequence, variant.transcript, variant.hgvs_c) == (
        "downstream_gene_variant",
        "ENST00000326592",
        "c.*2041C>G",
    )


def test_mutect2_corpus_file_keeps_nothing_outside_the_loci(corpus_dir: Path) -> None:
    result = corpus(corpus_dir, "vcf/test-mutect2.vcf.gz")
    assert (result.records_read, result.records_kept) == (24, 0)


def test_strelka2_tier_counts_give_the_vaf(corpus_dir: Path) -> None:
    # Line 157: 16:63549 A>G LowEVS; tumour AU=15,61 GU=4,16 DP=19; normal GU=0,2.
    result = corpus(corpus_dir, "vcf/test-strelka2.vcf.gz", loci={"T": Interval("16", 63_549, 63_549)})
    assert (result.dialect, result.tumour_sample) == ("Strelka2 VCF", "tumor_downsample")
    assert result.tumour_sample_reason == "##SAMPLE Genomes=Tumor header"
    assert result.records_read == 37
    [variant] = result.small_variants
    assert (variant.vaf, variant.vaf_source, variant.depth, variant.alt_count) == (4 / 19, "tier counts", 19, 4)
    assert (variant.filter, variant.normal_alt_count, variant.germline_flag) == ("LowEVS", 0, False)


def test_vardict_germline_status_and_duplicated_filters(corpus_dir: Path) -> None:
    # Line 160: 16:60045 C>G "p8;NM4.25;REJECT;REJECT" STATUS=Germline; tumour (first column) AD=9,7 AF=0.4375.
    result = corpus(corpus_dir, "vcf/test-vardict.vcf.gz", loci={"T": Interval("16", 60_045, 60_045)})
    assert (result.dialect, result.tumour_sample, result.records_read) == ("VarDict VCF", "tumor_downsample", 236)
    [variant] = result.small_variants
    assert (variant.line, variant.filter, variant.germline_flag) == (160, "p8;NM4.25;REJECT", True)
    assert (variant.vaf, variant.vaf_source, variant.depth, variant.alt_count) == (0.4375, "AF", 16, 7)
    assert variant.normal_alt_count == 5


def test_tso500_tumour_only_vcf_uses_vf_and_grch38_contigs(corpus_dir: Path) -> None:
    # Line 487: chr1:156880040 C>A, VF=0.02052, AD=2960,62, DP=3022.
    result = corpus(corpus_dir, "vcf/test-tso500-tumoronly.vcf.gz", loci={"T": Interval("1", 156_880_040, 156_880_040)})
    assert (result.dialect, result.build, result.build_evidence) == ("Illumina VCF", GRCH38, CHR3_GRCH38)
    assert (result.tumour_sample, result.tumour_sample_reason) == (
        "PTC_TSO200609VD_L2000553.bam",
        "the only sample column",
    )
    [variant] = result.small_variants
    assert (variant.chrom, variant.line, variant.vaf, variant.vaf_source) == ("1", 487, 0.02052, "VF")
    assert (variant.depth, variant.alt_count, variant.normal_alt_count) == (3022, 62, None)


def test_strelka1_file_is_read_through_its_tabix_index_with_the_same_result_as_a_scan(
    corpus_dir: Path, tmp_path: Path
) -> None:
    # Line 116: 1:1431051 G>T QSS_ref; TUMOR GU=132,135 TU=8,8 DP=141; NORMAL TU=0,0.
    loci = {"T": Interval("1", 1_431_000, 1_432_000)}
    indexed = corpus(corpus_dir, "vcf/EMN-3661-G1_EMN-3661-T2.strelka.snv.vcf.gz", loci=loci)
    copy = tmp_path / "no_index.vcf.gz"
    shutil.copy(corpus_dir / "vcf/EMN-3661-G1_EMN-3661-T2.strelka.snv.vcf.gz", copy)
    scanned = parse(copy, loci=loci)
    # The scan stops at the first chr2 record: the file follows its ##contig order and the locus is on chr1.
    assert scanned.records_read == 53 + 1 and indexed.records_read == 1
    assert [replace(v, line=0) for v in scanned.small_variants] == indexed.small_variants
    [variant] = scanned.small_variants
    assert (variant.line, variant.vaf, variant.vaf_source, variant.depth) == (116, 8 / 140, "tier counts", 141)
    assert (indexed.dialect, indexed.tumour_sample, variant.normal_alt_count) == ("Strelka VCF", "TUMOR", 0)
    assert "sample names" in indexed.tumour_sample_reason
    assert any("line numbers are not known" in warning for warning in indexed.warnings)


def test_strelka1_file_has_no_record_in_the_grch37_loci(corpus_dir: Path, tmp_path: Path) -> None:
    # 325 chr3 records, the nearest at 3:3116438, outside CRBN's padded span.
    copy = tmp_path / "no_index.vcf.gz"
    shutil.copy(corpus_dir / "vcf/EMN-3661-G1_EMN-3661-T2.strelka.snv.vcf.gz", copy)
    assert parse(copy).records_kept == 0
    assert corpus(corpus_dir, "vcf/EMN-3661-G1_EMN-3661-T2.strelka.snv.vcf.gz").records_kept == 0


def test_freebayes_multi_sample_file_needs_the_tumour_chosen(corpus_dir: Path) -> None:
    with pytest.raises(ParseError, match=r"ambiguous.*BLANK, NA12878, NA12891") as error:
        corpus(corpus_dir, "vcf/freebayes.vcf")
    assert error.value.line == 55


def test_freebayes_counts_split_a_multi_allelic_record(corpus_dir: Path) -> None:
    # Line 82: chr22:42523562 G>GG,GGG; NA12878 AO=911,150 RO=427 DP=1500. Build from ##reference ucsc.hg19.fasta.
    options = ParseOptions(tumour_sample="NA12878")
    result = corpus(corpus_dir, "vcf/freebayes.vcf", options, loci={"T": Interval("22", 42_523_562, 42_523_562)})
    assert (result.dialect, result.build) == ("FreeBayes VCF", GRCH37)
    assert result.build_evidence == "##reference=/data/reference/ucsc/hg19/ucsc.hg19.fasta"
    assert (result.tumour_sample_reason, result.records_read) == ("chosen at upload", 104)
    first, second = result.small_variants
    assert (first.alt, first.alt_count, first.vaf, first.vaf_source) == ("GG", 911, 911 / 1488, "AO/RO")
    assert (second.alt, second.alt_count, second.vaf, second.depth) == ("GGG", 150, 150 / 1488, 1500)
    assert first.line == second.line == 82


def test_deepvariant_vaf_and_multi_allelic_split(corpus_dir: Path) -> None:
    # No chr3 contig and no ##reference: the build comes from the upload. Line 36: chr20:10002458 G>GTT,GTTT
    # 1/2:5:51:2,27,15:0.529412,0.294118. Line 35's RefCall deletion 10002457 AG>A reaches the locus too.
    options = ParseOptions(expected_build=GRCH37)
    result = corpus(
        corpus_dir,
        "vcf/golden.postprocess_single_site_output.vcf",
        options,
        loci={"T": Interval("20", 10_002_458, 10_002_458)},
    )
    assert (result.dialect, result.build, result.records_read) == ("DeepVariant VCF", GRCH37, 78)
    assert result.build_evidence == "not declared in the file; the build chosen at upload"
    deletion, first, second = result.small_variants
    assert (deletion.pos, deletion.line, deletion.filter, deletion.vaf) == (10_002_457, 35, "RefCall", 0.0909091)
    assert (first.alt, first.vaf, first.vaf_source, first.alt_count, first.depth) == ("GTT", 0.529412, "VAF", 27, 51)
    assert (second.alt, second.vaf, second.alt_count) == ("GTTT", 0.294118, 15)


def test_a_file_without_any_build_evidence_needs_the_build_chosen(corpus_dir: Path) -> None:
    with pytest.raises(ParseError, match="genome build cannot be read") as error:
        corpus(corpus_dir, "vcf/golden.postprocess_single_site_output.vcf")
    assert error.value.line == 16


def test_bcftools_reference_sites_are_read_but_only_alt_calls_kept(corpus_dir: Path) -> None:
    # 752 MT records, ALT "." except lines 290 (MT:263 A>G, DP=302 DP4=0,0,289,0) and 779.
    options = ParseOptions(expected_build=GRCH37)
    result = corpus(corpus_dir, "vcf/bcftools.vcf", options, loci={"MT": Interval("MT", 1, 16_569)})
    assert (result.dialect, result.tumour_sample, result.records_read) == ("bcftools VCF", "sample", 752)
    first, _ = result.small_variants
    assert (first.pos, first.line, first.vaf, first.vaf_source, first.depth) == (263, 290, 1.0, "DP4", 302)


def test_vep_multi_allelic_mutect2_record_matches_each_allele_to_its_csq_entries(corpus_dir: Path) -> None:
    # chr19:45408613 G>GA,GAA: VEP writes the alleles as A and AA; CV023_T AD=157,15,4 AF=0.083,0.030.
    result = corpus(
        corpus_dir, "vcf_annotated/input.no_protein_pos.vcf", loci={"POLR1G": Interval("19", 45_408_000, 45_409_000)}
    )
    assert (result.build, result.tumour_sample, result.tumour_sample_reason) == (
        GRCH38,
        "CV023_T",
        "##tumor_sample header",
    )
    first, second = result.small_variants
    assert (first.alt, first.hgvs_c, first.hgvs_p) == ("GA", "c.653dup", "p.Asn218LysfsTer58")
    assert (second.alt, second.hgvs_c, second.hgvs_p) == ("GAA", "c.652_653dup", "p.Asn218LysfsTer5")
    assert (first.consequence, first.exon, first.transcript) == ("frameshift_variant", 3, "ENST00000309424")
    # VEP's Protein_position is where the insertion lies (215-216 for the first); HGVS shifts it 3' to 218.
    assert (first.protein_position, first.vaf, first.alt_count, first.normal_alt_count) == (215, 0.083, 15, 2)
    assert (second.protein_position, second.vaf, second.alt_count, second.normal_alt_count) == (218, 0.030, 4, 0)
    assert first.filter == "multiallelic;normal_artifact;slippage"


def test_legacy_snpeff_eff_gives_a_three_letter_protein_change(corpus_dir: Path) -> None:
    # Line 128: chr1:69428 T>G, EFF NON_SYNONYMOUS_CODING(MODERATE|MISSENSE|tTt/tGt|F113C|305|OR4F5|...).
    options = ParseOptions(tumour_sample="1094PC0005")
    result = corpus(corpus_dir, "vcf_annotated/test.snpeff.vcf", options, loci={"OR4F5": Interval("1", 69_428, 69_428)})
    assert (result.build, result.dialect) == (GRCH37, "VCF")
    [variant] = result.small_variants
    assert (variant.consequence, variant.hgvs_p, variant.protein_position) == ("missense_variant", "p.Phe113Cys", 113)
    assert (variant.transcript, variant.vaf, variant.vaf_source, variant.depth) == ("ENST00000335137", 0.0, "AD", 2)


def test_vep_csq_with_a_custom_field_order_is_read_by_name(corpus_dir: Path) -> None:
    # Line 186: 1:10172 CCCTAA>C; CSQ Format "Consequence|Codons|Amino_acids|Gene|SYMBOL|Feature|EXON|...".
    options = ParseOptions(tumour_sample="101976-101976")
    result = corpus(corpus_dir, "vcf_annotated/test.vcf.gz", options, loci={"DDX11L1": Interval("1", 10_172, 10_172)})
    assert result.records_read == 1 and result.build_evidence == CHR3_GRCH37  # read through test.vcf.gz.tbi
    [variant] = result.small_variants
    assert (variant.consequence, variant.transcript, variant.vaf, variant.depth) == (
        "upstream_gene_variant",
        "ENST00000456328",
        0.0,
        48,
    )


def test_mutect_excerpt_keeps_every_crbn_record_with_its_reject_filter(corpus_dir: Path) -> None:
    result = corpus(corpus_dir, "derived/EMN-3661-G1_EMN-3661-T2_MuTect_SNVs.CRBN_region_excerpt.vcf")
    assert (result.dialect, result.build, result.tumour_sample) == ("MuTect VCF", GRCH37, "EMN-3661-T2")
    assert "command line" in result.tumour_sample_reason
    assert result.records_read == 29
    # 26 inside CRBN's padded locus, 20 of them inside the gene body.
    assert len(result.small_variants) == 26
    in_gene = [v for v in result.small_variants if CRBN_GENE[GRCH37].contains(v.chrom, v.pos)]
    assert len(in_gene) == 20
    assert {(v.gene, v.filter) for v in result.small_variants} == {("CRBN", "REJECT")}
    first = result.small_variants[0]  # line 108: 3:3188016 A>G, T2 AD=110,50 FA=0.313 DP=160, G1 AD=18,16
    assert (first.pos, first.line, first.vaf, first.vaf_source, first.alt_count) == (3_188_016, 108, 0.313, "FA", 50)
    assert (first.normal_alt_count, first.germline_flag) == (16, True)  # no INFO SOMATIC on a MuTect rejection


def test_mutect_excerpt_records_are_all_intronic_or_flanking_so_none_needs_annotation(corpus_dir: Path) -> None:
    # The nearest to an exon: 3:3194107 (exon 10 starts at 3194140), 3:3215954 (exon 3 ends at 3215945).
    result = corpus(corpus_dir, "derived/EMN-3661-G1_EMN-3661-T2_MuTect_SNVs.CRBN_region_excerpt.vcf")
    assert {(v.exon, v.needs_annotation, v.hgvs_p) for v in result.small_variants} == {(None, False, "")}


def test_malformed_strelka_file_with_empty_sample_columns_parses_with_the_tumour_chosen(corpus_dir: Path) -> None:
    # Line 55: 1:1666175 C>T; TUMOR.variant CU=45,45 TU=14,14 DP=59; NORMAL.variant2 and TUMOR.variant2 are empty.
    with pytest.raises(ParseError, match="ambiguous"):
        corpus(corpus_dir, "vcf_malformed/strelka.vcf")
    options = ParseOptions(tumour_sample="TUMOR.variant")
    result = corpus(corpus_dir, "vcf_malformed/strelka.vcf", options, loci={"T": Interval("1", 1_666_175, 1_666_175)})
    [variant] = result.small_variants
    assert (variant.vaf, variant.vaf_source, variant.depth, variant.normal_alt_count) == (
        14 / 59,
        "tier counts",
        59,
        None,
    )


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("24.vcf", 7, "separated by spaces"),
        ("corrupt_file_that_starts_with_#.vcf", 1, "not a VCF"),
        ("issue85.vcf", 26, "without a #CHROM line"),
    ],
)
def test_malformed_corpus_files_are_refused_naming_the_line(
    corpus_dir: Path, name: str, line: int, message: str
) -> None:
    with pytest.raises(ParseError, match=message) as error:
        corpus(corpus_dir, f"vcf_malformed/{name}")
    assert error.value.line == line and error.value.expected


@pytest.mark.parametrize(
    ("name", "dialect"),
    [
        ("vcf/test-mutect2.vcf.gz", "Mutect2 VCF"),
        ("vcf/test-strelka2.vcf.gz", "Strelka2 VCF"),
        ("vcf/test-vardict.vcf.gz", "VarDict VCF"),
        ("vcf/freebayes.vcf", "FreeBayes VCF"),
        ("vcf/golden.postprocess_single_site_output.vcf", "DeepVariant VCF"),
        ("vcf/bcftools.vcf", "bcftools VCF"),
        ("vcf_malformed/strelka.vcf", "Strelka VCF"),
        ("vcf_malformed/corrupt_file_that_starts_with_#.vcf", None),
        ("maf/test_b38_output.maf", None),
        ("sv/HCC2218_manta.vcf", None),
    ],
)
def test_sniff_names_the_caller(corpus_dir: Path, name: str, dialect: str | None) -> None:
    source = LineSource(corpus_dir / name)
    assert vcf.sniff(source.head(400), source.name) == dialect


# --- generated CRBN-positive files ---------------------------------------------------------------------------------


def test_mutect2_tumour_normal_crbn_missense_grch38_with_vep(tmp_path: Path) -> None:
    records = [
        mutect2_record(EXON10_GRCH38, f"{OTHER_CSQ},{MANE_CSQ}"),
        mutect2_record(1_000_000, chrom="chr1"),
    ]
    path = write_vcf(tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], records)
    result = parse(path)
    assert (result.dialect, result.build, result.build_evidence) == ("Mutect2 VCF", GRCH38, CHR3_GRCH38)
    assert (result.tumour_sample, result.records_read, result.records_kept) == ("RELAPSE_BM", 2, 1)
    [variant] = result.small_variants
    assert (variant.gene, variant.chrom, variant.pos, variant.ref, variant.alt) == (
        "CRBN",
        "3",
        EXON10_GRCH38,
        "A",
        "G",
    )
    assert (variant.transcript, variant.hgvs_c, variant.hgvs_p) == ("NM_016302.4", "c.1171T>C", "p.Cys391Arg")
    assert (variant.consequence, variant.exon, variant.protein_position) == ("missense_variant", 10, 391)
    assert (variant.vaf, variant.vaf_source, variant.depth, variant.alt_count) == (0.25, "AF", 120, 30)
    assert (variant.normal_alt_count, variant.germline_flag, variant.needs_annotation) == (1, False, False)
    assert (variant.line, variant.filter) == (11, "PASS")


def test_the_same_call_in_grch37_is_kept_at_the_grch37_coordinate_only(tmp_path: Path) -> None:
    meta = [*MUTECT2_META, CHR3_GRCH37]
    records = [mutect2_record(EXON10_GRCH38, chrom="3"), mutect2_record(EXON10_GRCH37, chrom="3")]
    result = parse(write_vcf(tmp_path, meta, ["GERMLINE_PB", "RELAPSE_BM"], records))
    assert result.build == GRCH37
    # The GRCh38 coordinate lies outside GRCh37's padded CRBN locus (3186695-3226394).
    [variant] = result.small_variants
    assert (variant.pos, variant.hgvs_p, variant.exon) == (EXON10_GRCH37, "p.Cys391Arg", 10)


def test_build_from_reference_name_when_there_are_no_contig_lines(tmp_path: Path) -> None:
    meta = [*MUTECT2_META, "##reference=file:///refs/hg19.fa"]
    result = parse(
        write_vcf(tmp_path, meta, ["GERMLINE_PB", "RELAPSE_BM"], [mutect2_record(EXON10_GRCH37, chrom="chr3")])
    )
    assert (result.build, result.build_evidence) == (GRCH37, "##reference=file:///refs/hg19.fa")


def test_contig_length_wins_over_a_disagreeing_reference_name_with_a_warning(tmp_path: Path) -> None:
    meta = [*MUTECT2_META, "##reference=hg19.fa", CHR3_GRCH38]
    result = parse(write_vcf(tmp_path, meta, ["GERMLINE_PB", "RELAPSE_BM"], []))
    assert result.build == GRCH38
    assert any("hg19.fa" in warning and "GRCh38" in warning for warning in result.warnings)


def test_contig_lines_of_every_form_are_read_in_order_among_the_other_header_lines(tmp_path: Path) -> None:
    """A run of usual ##contig lines is read at once; one with more keys in it is read as any other line."""
    meta = [
        "##contig=<ID=chr1,length=248956422>",
        CHR3_GRCH38,
        '##contig=<ID=chr7,length=159345973,assembly="GRCh38, primary">',
        "##contig=<ID=chrX,length=156040895>",
        *MUTECT2_META[:2],
        "##contig=<ID=chrUn_KI270302v1,length=2274>",
    ]
    source = LineSource(write_vcf(tmp_path, meta, ["GERMLINE_PB", "RELAPSE_BM"], []))
    with source.open() as stream:
        header = read_header(source.name, stream.lines())
    lengths = [248_956_422, 198_295_559, 159_345_973, 156_040_895, 2_274]
    assert header.contigs == dict(zip(["chr1", "chr3", "chr7", "chrX", "chrUn_KI270302v1"], lengths, strict=True))
    assert [key for key, _ in header.meta] == ["contig"] * 4 + ["source", "tumor_sample", "contig"]
    assert header.meta[2] == ("contig", '<ID=chr7,length=159345973,assembly="GRCh38, primary">')


def test_an_allelic_depth_with_an_empty_count_gives_no_read_counts(tmp_path: Path) -> None:
    record = f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t.\tPASS\t.\tGT:AD:DP\t0/0:60,:61\t0/1:90,:120"
    [variant] = parse(
        write_vcf(tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [record])
    ).small_variants
    assert (variant.vaf, variant.alt_count, variant.depth, variant.normal_alt_count) == (None, None, 120, None)


def test_a_chr3_of_another_assembly_is_refused_even_with_a_build_chosen(tmp_path: Path) -> None:
    meta = ["##contig=<ID=chr3,length=201105948>", "##reference=chm13v2.0.fa"]
    with pytest.raises(ParseError, match="length is neither GRCh37's nor GRCh38's") as error:
        parse(write_vcf(tmp_path, meta, ["T"], []), ParseOptions(expected_build=GRCH38))
    assert error.value.line == 4


def test_strelka2_generated_crbn_snv_and_indel_use_tier_counts(tmp_path: Path) -> None:
    meta = [
        "##source=strelka",
        "##source_version=2.9.10",
        CHR3_GRCH38,
        '##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="s">',
    ]
    fmt = "DP:AU:CU:GU:TU:TAR:TIR"
    snv = (
        f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t.\tPASS\tSOMATIC\t{fmt}\t40:40,41:0,0:0,0:0,0:.:.\t50:38,40:0,0:12,12:0,0:.:."
    )
    indel = f"chr3\t{EXON10_GRCH38 + 5}\t.\tAT\tA\t.\tPASS\t.\tDP:TAR:TIR\t40:40,40:0,0\t50:45,46:5,5"
    result = parse(write_vcf(tmp_path, meta, ["NORMAL", "TUMOR"], [snv, indel]))
    assert (result.dialect, result.tumour_sample) == ("Strelka2 VCF", "TUMOR")
    assert result.tumour_sample_reason.startswith("sample names")
    first, second = result.small_variants
    assert (first.vaf, first.vaf_source, first.alt_count, first.depth) == (12 / 50, "tier counts", 12, 50)
    assert (first.normal_alt_count, first.germline_flag, first.needs_annotation) == (0, False, True)
    assert (second.vaf, second.alt_count, second.germline_flag) == (5 / 50, 5, True)  # no SOMATIC flag


def test_varscan2_freq_percent_and_somatic_status(tmp_path: Path) -> None:
    meta = [
        "##source=VarScan2",
        CHR3_GRCH38,
        '##INFO=<ID=SS,Number=1,Type=String,Description="Somatic status">',
        '##FORMAT=<ID=AD,Number=1,Type=Integer,Description="Depth of variant-supporting bases (reads2)">',
        '##FORMAT=<ID=RD,Number=1,Type=Integer,Description="Depth of reference-supporting bases (reads1)">',
        '##FORMAT=<ID=FREQ,Number=1,Type=String,Description="Variant allele frequency">',
    ]
    fmt = "GT:GQ:DP:RD:AD:FREQ"
    somatic = f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t.\tPASS\tSS=2\t{fmt}\t0/0:.:50:50:0:0%\t0/1:.:80:70:10:12.5%"
    germline = f"chr3\t{EXON10_GRCH38 + 3}\t.\tC\tT\t.\tPASS\tSS=1\t{fmt}\t0/1:.:50:25:25:50%\t0/1:.:80:40:40:50%"
    result = parse(write_vcf(tmp_path, meta, ["NORMAL", "TUMOR"], [somatic, germline]))
    first, second = result.small_variants
    assert result.dialect == "VarScan2 VCF"
    assert (first.vaf, first.vaf_source, first.alt_count, first.depth, first.normal_alt_count) == (
        0.125,
        "FREQ",
        10,
        80,
        0,
    )
    assert (first.germline_flag, second.germline_flag, second.normal_alt_count) == (False, True, 25)


def test_freebayes_generated_multi_allelic_crbn_record_splits_number_a_fields(tmp_path: Path) -> None:
    meta = [
        "##source=freeBayes v1.3.6",
        CHR3_GRCH37,
        '##FORMAT=<ID=AO,Number=A,Type=Integer,Description="Alternate allele observation count">',
        '##FORMAT=<ID=RO,Number=1,Type=Integer,Description="Reference allele observation count">',
    ]
    record = f"3\t{EXON10_GRCH37}\t.\tA\tG,T\t50\t.\tAF=0.5,0.5\tGT:DP:RO:AO\t1/2:100:60:30,10"
    result = parse(write_vcf(tmp_path, meta, ["RELAPSE"], [record]))
    g, t = result.small_variants
    assert (g.alt, g.vaf, g.alt_count, g.vaf_source) == ("G", 0.3, 30, "AO/RO")
    assert (t.alt, t.vaf, t.alt_count, t.depth) == ("T", 0.1, 10, 100)
    assert (g.exon, g.needs_annotation) == (10, True)


@pytest.mark.parametrize(
    ("offset", "site"),
    [(-1, "donor site of intron 9"), (-2, "donor site of intron 9"), (-3, None)],
    ids=["first intron base", "second intron base", "third intron base"],
)
def test_an_unannotated_crbn_variant_at_a_canonical_splice_site_needs_annotation(tmp_path: Path, offset, site) -> None:
    """Exon 9's lower end is followed, on the minus strand, by intron 9's first bases (its GT donor)."""
    position = CRBN_EXONS[GRCH38][8][0] + offset
    record = f"chr3\t{position}\t.\tC\tT\t50\tPASS\tDP=100\tGT:AD\t0/1:70,30"
    result = parse(write_vcf(tmp_path, [CHR3_GRCH38], ["RELAPSE"], [record]))
    [variant] = result.small_variants
    assert (variant.exon, variant.needs_annotation) == (None, site is not None)
    flagged = f"line 4: CRBN variant at the canonical {site}, without annotation: its effect on splicing is not known"
    assert [warning.split(";")[0] for warning in result.warnings] == ([flagged] if site else [])


def test_deepvariant_generated_crbn_call_keeps_refcall_filter_and_skips_reference_sites(tmp_path: Path) -> None:
    meta = ["##DeepVariant_version=1.6.0", CHR3_GRCH38, '##FORMAT=<ID=VAF,Number=A,Type=Float,Description="VAF">']
    records = [
        f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t3.1\tRefCall\t.\tGT:GQ:DP:AD:VAF\t./.:10:40:36,4:0.1",
        f"chr3\t{EXON10_GRCH38 + 1}\t.\tC\t<*>\t0\t.\tEND=3152600\tGT:GQ:DP:MIN_DP\t0/0:50:40:38",
    ]
    result = parse(write_vcf(tmp_path, meta, ["RELAPSE"], records))
    assert (result.dialect, result.records_read) == ("DeepVariant VCF", 2)
    [variant] = result.small_variants
    assert (variant.filter, variant.vaf, variant.vaf_source, variant.alt_count) == ("RefCall", 0.1, "VAF", 4)


def test_isoform_2_only_annotation_is_converted_to_canonical_numbering(tmp_path: Path) -> None:
    isoform2 = (
        "G|missense_variant|MODERATE|CRBN|ENSG00000113851|Transcript|ENST00000432408.5|protein_coding|10/11||"
        "ENST00000432408.5:c.1168T>C|ENSP00000390875.1:p.Cys390Arg|390"
    )
    path = write_vcf(
        tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [mutect2_record(EXON10_GRCH38, isoform2)]
    )
    result = parse(path)
    [variant] = result.small_variants
    assert (variant.hgvs_p, variant.protein_position) == ("p.Cys391Arg", 391)
    assert (variant.transcript, variant.hgvs_c) == ("ENST00000432408.5", "c.1168T>C")  # c. stays on isoform 2
    [warning] = result.warnings
    assert warning.startswith("line 11: CRBN annotated only on isoform 2") and "NP_057386.2" in warning


def test_snpeff_ann_on_crbn(tmp_path: Path) -> None:
    ann_header = (
        "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | Annotation | "
        "Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | "
        "HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS "
        "/ INFO' \">"
    )
    ann = (
        "G|missense_variant|MODERATE|CRBN|ENSG00000113851|transcript|ENST00000231948.9|protein_coding|10/11|"
        "c.1171T>C|p.Cys391Arg|1212/2206|1171/1329|391/442||,"
        "G-A|missense_variant|MODERATE|CRBN|ENSG00000113851|transcript|ENST00000231948.9|protein_coding|10/11|"
        "c.1171T>C|p.Cys391Arg|1212/2206|1171/1329|391/442||"
    )
    record = f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t.\tPASS\tANN={ann}\tGT:AD\t0/1:70,30"
    result = parse(write_vcf(tmp_path, [CHR3_GRCH38, ann_header], ["RELAPSE"], [record]))
    [variant] = result.small_variants
    assert (variant.transcript, variant.hgvs_c, variant.hgvs_p) == ("ENST00000231948.9", "c.1171T>C", "p.Cys391Arg")
    assert (variant.exon, variant.protein_position, variant.vaf, variant.vaf_source) == (10, 391, 0.3, "AD")


def test_snpeff_legacy_eff_on_crbn(tmp_path: Path) -> None:
    eff_header = (
        "##INFO=<ID=EFF,Number=.,Type=String,Description=\"Predicted effects for this variant.Format: 'Effect ( "
        "Effect_Impact | Functional_Class | Codon_Change | Amino_Acid_Change| Amino_Acid_Length | Gene_Name | "
        "Transcript_BioType | Gene_Coding | Transcript_ID | Exon_Rank  | Genotype_Number [ | ERRORS | WARNINGS ] )' \">"
    )
    eff = (
        "NON_SYNONYMOUS_CODING(MODERATE|MISSENSE|Tgc/Cgc|p.Cys391Arg/c.1171T>C|442|CRBN|protein_coding|CODING|"
        "NM_016302.4|10|1)"
    )
    record = f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t.\tPASS\tEFF={eff}\tGT:AD\t0/1:70,30"
    result = parse(write_vcf(tmp_path, [CHR3_GRCH38, eff_header], ["RELAPSE"], [record]))
    [variant] = result.small_variants
    assert (variant.consequence, variant.hgvs_c, variant.hgvs_p) == ("missense_variant", "c.1171T>C", "p.Cys391Arg")
    assert (variant.transcript, variant.exon, variant.protein_position) == ("NM_016302.4", 10, 391)


def test_crbn_annotated_only_on_another_transcript_needs_annotation_with_a_warning(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path,
        [*MUTECT2_META, CHR3_GRCH38],
        ["GERMLINE_PB", "RELAPSE_BM"],
        [mutect2_record(EXON10_GRCH38, OTHER_CSQ)],
    )
    result = parse(path)
    [variant] = result.small_variants
    assert (variant.hgvs_p, variant.exon, variant.needs_annotation) == ("", 10, True)
    assert "ENST00000424814.5" in result.warnings[0]


def test_sites_only_vcf_takes_vaf_from_info(tmp_path: Path) -> None:
    record = f"chr3\t{EXON10_GRCH38}\t.\tA\tG\t60\tPASS\tDP=200;AF=0.085;DP4=90,93,8,9"
    result = parse(write_vcf(tmp_path, [CHR3_GRCH38, "##source=lofreq call"], [], [record]))
    assert (result.tumour_sample, result.tumour_sample_reason) == ("", "no sample columns (sites-only VCF)")
    [variant] = result.small_variants
    assert (variant.vaf, variant.vaf_source, variant.depth) == (0.085, "INFO AF", 200)


def test_a_deletion_starting_before_the_locus_is_kept_when_it_reaches_into_it(tmp_path: Path) -> None:
    loci = {"T": Interval("3", 1_000, 2_000)}
    records = ["chr3\t990\t.\tAAAAAAAAAAAAAA\tA\t.\tPASS\t.", "chr3\t980\t.\tAA\tA\t.\tPASS\t."]
    result = parse(write_vcf(tmp_path, [CHR3_GRCH38], [], records), loci=loci)
    assert [v.pos for v in result.small_variants] == [990]


# --- the index and the scan ---------------------------------------------------------------------------------------


def crbn_cohort_vcf(tmp_path: Path) -> Path:
    """A sorted tumour-normal GRCh38 file with records before, inside and after CRBN and on later chromosomes."""
    contigs = [
        f"##contig=<ID=chr{name},length={length}>"
        for name, length in (("1", 248_956_422), ("3", 198_295_559), ("7", 159_345_973), ("X", 156_040_895))
    ]
    positions = [
        ("chr1", 1_000),
        ("chr3", 100_000),
        ("chr3", EXON10_GRCH38),
        ("chr3", EXON10_GRCH38 + 9),
        ("chr3", 50_000_000),
        ("chr7", 50_344_000),
        ("chrX", 10_000),
    ]
    records = [mutect2_record(pos, chrom=chrom) for chrom, pos in positions]
    return write_vcf(tmp_path, [*MUTECT2_META, *contigs], ["GERMLINE_PB", "RELAPSE_BM"], records, "cohort.vcf")


def test_bgzip_with_tabix_index_gives_the_same_variants_as_a_scan(tmp_path: Path) -> None:
    plain = crbn_cohort_vcf(tmp_path)
    scanned = parse(plain)
    indexed = parse(bgzip_with_index(tmp_path, plain))
    assert (tmp_path / "cohort.vcf.gz.tbi").is_file()
    assert [(v.gene, v.pos) for v in scanned.small_variants] == [
        ("CRBN", EXON10_GRCH38),
        ("CRBN", EXON10_GRCH38 + 9),
        ("IKZF1", 50_344_000),
    ]
    assert [replace(v, line=0) for v in scanned.small_variants] == indexed.small_variants
    assert (scanned.records_read, indexed.records_read) == (7, 3)


def test_an_index_given_explicitly_is_used_and_a_broken_one_falls_back_to_a_scan(tmp_path: Path) -> None:
    plain = crbn_cohort_vcf(tmp_path)
    compressed = bgzip_with_index(tmp_path, plain)
    moved = tmp_path / "elsewhere.tbi"
    (tmp_path / "cohort.vcf.gz.tbi").rename(moved)
    assert parse(compressed, index=moved).records_read == 3
    broken = tmp_path / "broken.tbi"
    broken.write_bytes(b"not an index")
    result = parse(compressed, index=broken)
    assert (result.records_read, len(result.small_variants)) == (7, 3)
    assert any("broken.tbi could not be used" in warning for warning in result.warnings)


def test_an_index_of_another_version_of_the_file_is_ignored_with_a_warning(tmp_path: Path) -> None:
    """An index made before records were added at the end (a re-called file, the same name) still opens and
    its region queries still run: only the check against the file's last record catches it."""
    first = bgzip_with_index(tmp_path, crbn_cohort_vcf(tmp_path))
    stale = tmp_path / "stale.tbi"
    (tmp_path / "cohort.vcf.gz.tbi").rename(stale)
    grown = tmp_path / "grown" / "cohort.vcf"
    grown.parent.mkdir()
    grown.write_text(gzip.decompress(first.read_bytes()).decode() + mutect2_record(20_000, chrom="chrX") + "\n")
    result = parse(bgzip_with_index(grown.parent, grown), index=stale)
    assert (result.records_read, len(result.small_variants)) == (8, 3)
    [warning] = [warning for warning in result.warnings if "stale.tbi" in warning]
    assert "does not match the file" in warning and "last record" in warning and "read without it" in warning


def test_an_index_naming_contigs_the_header_lacks_is_ignored(tmp_path: Path) -> None:
    plain = crbn_cohort_vcf(tmp_path)
    compressed = bgzip_with_index(tmp_path, plain)
    renamed = tmp_path / "renamed" / "cohort.vcf"
    renamed.parent.mkdir()
    renamed.write_text(plain.read_text().replace("chr", ""))  # a b37-style file of the same records
    other_index = bgzip_with_index(renamed.parent, renamed).with_suffix(".gz.tbi")
    result = parse(compressed, index=other_index)
    assert result.records_read == 7
    assert any("names contigs the header does not list (1, 3, 7, X)" in warning for warning in result.warnings)


def test_index_mismatch_says_what_a_parse_would_say_of_an_index(tmp_path: Path) -> None:
    compressed = bgzip_with_index(tmp_path, crbn_cohort_vcf(tmp_path))
    assert vcf.index_mismatch(LineSource(compressed), tmp_path / "cohort.vcf.gz.tbi") is None
    junk = tmp_path / "junk.tbi"
    junk.write_bytes(b"TBI\1 not really")
    assert (vcf.index_mismatch(LineSource(compressed), junk) or "").startswith("could not be used")


def test_a_sorted_file_with_contig_lines_stops_after_the_last_locus(tmp_path: Path) -> None:
    # With loci only on chr3, the scan stops at the first chr7 record (line 17 of 18 lines).
    result = parse(crbn_cohort_vcf(tmp_path), loci={"CRBN": Interval("3", 3_140_000, 3_190_000)})
    assert (result.records_read, len(result.small_variants)) == (6, 2)


def test_an_unsorted_file_is_read_to_the_end(tmp_path: Path) -> None:
    contigs = [CHR3_GRCH38, "##contig=<ID=chr7,length=159345973>"]
    records = [mutect2_record(1, chrom="chr7"), mutect2_record(EXON10_GRCH38), mutect2_record(EXON10_GRCH38 + 1)]
    result = parse(
        write_vcf(tmp_path, [*MUTECT2_META, *contigs], ["GERMLINE_PB", "RELAPSE_BM"], records),
        loci={"CRBN": Interval("3", 3_140_000, 3_190_000)},
    )
    assert (result.records_read, len(result.small_variants)) == (3, 2)


def test_a_gzip_compressed_file_without_index_is_scanned(tmp_path: Path) -> None:
    plain = crbn_cohort_vcf(tmp_path)
    compressed = tmp_path / "plain_gzip.vcf.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    assert [v.pos for v in parse(compressed).small_variants] == [v.pos for v in parse(plain).small_variants]


# --- hostile inputs --------------------------------------------------------------------------------------------------


def test_a_truncated_gzip_is_refused_with_the_line_reached(tmp_path: Path) -> None:
    # 40,000 records (about 4 MB inflated) on chr1, which the header does not list, so nothing stops the scan early.
    records = [mutect2_record(position, chrom="chr1") for position in range(1, 40_001)]
    plain = write_vcf(tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], records)
    data = gzip.compress(plain.read_bytes())
    truncated = tmp_path / "truncated.vcf.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="truncated or corrupt") as error:
        parse(truncated)
    assert error.value.line is not None and 11 < error.value.line < 40_011


def test_a_kept_record_with_the_wrong_column_count_is_refused(tmp_path: Path) -> None:
    record = mutect2_record(EXON10_GRCH38).rsplit("\t", 1)[0]
    path = write_vcf(tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [record])
    with pytest.raises(ParseError, match="10 columns") as error:
        parse(path)
    assert (error.value.line, error.value.expected) == (11, "11 tab-separated columns, as on the #CHROM line 10")


def test_an_unknown_tumour_sample_name_is_refused_listing_the_columns(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [])
    with pytest.raises(ParseError, match="'TUMOUR' is not a sample column") as error:
        parse(path, ParseOptions(tumour_sample="TUMOUR"))
    assert (error.value.line, error.value.expected) == (10, "one of GERMLINE_PB, RELAPSE_BM")


def test_an_ambiguous_tumour_sample_is_refused_listing_the_columns(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, [CHR3_GRCH38], ["S1", "S2"], [])
    with pytest.raises(ParseError, match="ambiguous among the sample columns S1, S2") as error:
        parse(path)
    assert error.value.line == 3


def test_a_header_declaring_several_tumours_is_ambiguous(tmp_path: Path) -> None:
    meta = [CHR3_GRCH38, "##tumor_sample=T1", "##tumor_sample=T2", "##normal_sample=N"]
    with pytest.raises(ParseError, match=r"declares several tumour samples \(T1, T2\)"):
        parse(write_vcf(tmp_path, meta, ["N", "T1", "T2"], []))
    assert (
        parse(write_vcf(tmp_path, meta, ["N", "T1", "T2"], []), ParseOptions(tumour_sample="T2")).tumour_sample == "T2"
    )


def test_the_header_names_the_normal_so_the_other_column_is_the_tumour(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, [CHR3_GRCH38, "##normal_sample=S1"], ["S1", "S2"], [])
    result = parse(path)
    assert (result.tumour_sample, result.tumour_sample_reason) == (
        "S2",
        "the column that is not the header's declared normal sample",
    )


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.vcf"
    path.write_bytes(b"")
    with pytest.raises(ParseError, match="the file is empty"):
        parse(path)


def test_a_non_utf8_byte_in_a_kept_record_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [mutect2_record(EXON10_GRCH38)]
    )
    path.write_bytes(path.read_bytes().replace(b"DP=180", b"DP=180;NOTE=caf\xe9"))
    with pytest.raises(ParseError, match="not UTF-8") as error:
        parse(path)
    assert error.value.line == 11


def test_a_non_utf8_byte_outside_the_loci_is_never_decoded(tmp_path: Path) -> None:
    path = write_vcf(
        tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [mutect2_record(5, chrom="chr1")]
    )
    path.write_bytes(path.read_bytes().replace(b"DP=180", b"DP=180;NOTE=caf\xe9"))
    assert parse(path).records_read == 1


def test_a_line_over_the_length_limit_is_refused(tmp_path: Path) -> None:
    long_record = mutect2_record(EXON10_GRCH38, MANE_CSQ + "," + ",".join([MANE_CSQ] * 50))
    path = write_vcf(tmp_path, [*MUTECT2_META, CHR3_GRCH38], ["GERMLINE_PB", "RELAPSE_BM"], [long_record])
    with pytest.raises(ParseError, match="longer than the limit") as error:
        vcf.parse(LineSource(path, limits=Limits(max_line_bytes=2_000)), NO_CHOICES)
    assert error.value.line == 11


def test_a_record_before_the_chrom_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "no_chrom.vcf"
    path.write_text(f"##fileformat=VCFv4.2\n{mutect2_record(EXON10_GRCH38)}\n")
    with pytest.raises(ParseError, match="before the #CHROM header line") as error:
        parse(path)
    assert error.value.line == 2


def test_a_position_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    path = write_vcf(tmp_path, [CHR3_GRCH38], [], ["chr3\t31x52500\t.\tA\tG\t.\tPASS\t."])
    with pytest.raises(ParseError, match="POS") as error:
        parse(path)
    assert error.value.line == 4
