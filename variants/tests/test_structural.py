"""Structural-variant VCFs (Manta, Delly, GRIDSS, LUMPY, SvABA): breakpoints, mates and spans over kept genes."""

from pathlib import Path

import pytest

from variants.crbn import GRCH37, GRCH38, Interval, crbn_exon_at
from variants.parsers import structural
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import LineSource

GRCH38_CONTIG = "##contig=<ID=chr3,length=198295559>"
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
DELLY_FORMAT = "GT:GL:GQ:FT:RCL:RC:RCR:CN:DR:DV:RR:RV"
NO_CHOICES = ParseOptions()


def vcf(tmp_path: Path, meta: list[str], samples: list[str], records: list[str], name: str = "sv.vcf") -> LineSource:
    columns = "\t".join([COLUMNS, *samples]) if samples else COLUMNS.removesuffix("\tFORMAT")
    lines = ["##fileformat=VCFv4.2", *meta, columns, *records]
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return LineSource(path)


def raw(tmp_path: Path, text: str) -> LineSource:
    path = tmp_path / "raw.vcf"
    path.write_text(text)
    return LineSource(path)


def corpus(corpus_dir: Path, name: str, options: ParseOptions = NO_CHOICES, **kwargs) -> ParseResult:
    return structural.parse(LineSource(corpus_dir / "sv" / name), options, **kwargs)


# --- the shared corpus -------------------------------------------------------------------------------------------


def test_delly_breakend_mate_is_read_from_the_alt_allele(corpus_dir: Path) -> None:
    # Line 129: 21:42843749 BND00000094, ALT "]15:80623247]C", TUMOR column DV=184 RV=172.
    loci = {"TEST": Interval("15", 80_623_000, 80_624_000)}
    result = corpus(corpus_dir, "test_delly.vcf", ParseOptions(tumour_sample="TUMOR"), loci=loci)
    [variant] = result.structural_variants
    assert (variant.chrom, variant.pos, variant.line, variant.sv_id) == ("21", 42_843_749, 129, "BND00000094")
    assert (variant.svtype, variant.mate_chrom, variant.mate_pos, variant.end) == ("BND", "15", 80_623_247, None)
    assert (variant.gene, variant.filter, variant.support) == ("TEST", "PASS", 184 + 172)


def test_delly_tumour_normal_file_without_a_tumour_rule_leaves_support_empty(corpus_dir: Path) -> None:
    result = corpus(corpus_dir, "test_delly.vcf", loci={"TEST": Interval("15", 80_623_000, 80_624_000)})
    [variant] = result.structural_variants
    assert variant.support is None
    assert result.tumour_sample == ""
    assert any("TUMOR, NORMAL" in warning and "support" in warning for warning in result.warnings)


def test_unsorted_delly_file_is_read_whole_and_touches_no_kept_gene(corpus_dir: Path) -> None:
    result = corpus(corpus_dir, "test_delly.vcf")
    assert (result.records_read, result.records_kept) == (15, 0)
    assert (result.dialect, result.build) == ("Delly SV VCF", GRCH37)
    assert result.build_evidence == "##reference=/ifs/depot/assemblies/H.sapiens/b37/b37.fasta"


def test_manta_breakend_pair_is_kept_from_both_sides(corpus_dir: Path) -> None:
    # Lines 45-46: 1:1832651 ALT A]17:38112502] and its mate 17:38112500 ALT T]1:1832653]; PR 41,4 SR 53,20.
    result = corpus(corpus_dir, "input.vcf", loci={"TEST": Interval("1", 1_832_600, 1_832_700)})
    first, mate = result.structural_variants
    assert (first.chrom, first.pos, first.mate_chrom, first.mate_pos, first.line) == (
        "1",
        1_832_651,
        "17",
        38_112_502,
        45,
    )
    assert (mate.chrom, mate.pos, mate.mate_chrom, mate.mate_pos, mate.line) == ("17", 38_112_500, "1", 1_832_653, 46)
    assert {first.support, mate.support} == {4 + 20}
    assert (result.tumour_sample, result.tumour_sample_reason) == ("NA12878", "the only sample")


def test_lumpy_support_is_the_su_count(corpus_dir: Path) -> None:
    # Line 48: 1:820915 "]GL000232.1:20940]N", FORMAT SU=9.
    result = corpus(corpus_dir, "NA12878.vcf", loci={"TEST": Interval("1", 820_900, 820_950)})
    [variant] = result.structural_variants
    assert (variant.pos, variant.svtype, variant.mate_chrom, variant.mate_pos) == (820_915, "BND", "GL000232.1", 20_940)
    assert (variant.support, variant.filter, variant.line) == (9, ".", 48)
    assert result.dialect == "LUMPY SV VCF"


def test_lumpy_deletion_spanning_an_injected_locus_is_kept(corpus_dir: Path) -> None:
    # <DEL> 1:825957-5727174 spans 2,000,000-2,000,100 without a breakpoint inside it.
    result = corpus(corpus_dir, "NA12878.vcf", loci={"TEST": Interval("1", 2_000_000, 2_000_100)})
    [variant] = result.structural_variants
    assert (variant.svtype, variant.pos, variant.end, variant.support) == ("DEL", 825_957, 5_727_174, 7)


@pytest.mark.parametrize(("name", "records"), [("input.vcf", 2), ("NA12878.vcf", 4), ("test_delly.vcf", 15)])
def test_corpus_sv_files_have_nothing_in_kept_genes(corpus_dir: Path, name: str, records: int) -> None:
    result = corpus(corpus_dir, name)
    assert (result.records_read, result.records_kept, result.kind) == (records, 0, "structural_variants")


def test_manta_somatic_file_has_no_crbn_event_but_large_chr17_deletions_over_ikzf3(corpus_dir: Path) -> None:
    # The corpus notes no CRBN overlap; three PASS deletions (lines 82-84) span IKZF3 and KPNB1 in GRCh37.
    result = corpus(corpus_dir, "HCC2218_manta.vcf", ParseOptions(tumour_sample="HCC2218C"))
    assert (result.records_read, result.build, result.dialect) == (20, GRCH37, "Manta SV VCF")
    assert result.build_evidence == "##contig 3 length=198022430"
    assert not [variant for variant in result.structural_variants if variant.gene == "CRBN"]
    assert {(variant.gene, variant.line) for variant in result.structural_variants} == {
        (gene, line) for gene in ("IKZF3", "KPNB1") for line in (82, 83, 84)
    }
    # Line 82, tumour column "117,18:227,17": 18 spanning pairs + 17 split reads.
    assert result.structural_variants[0].support == 35


def test_only_sv_vcfs_are_sniffed_as_structural(corpus_dir: Path) -> None:
    claimed = {
        path.name: structural.sniff(LineSource(path).head(), path.name)
        for path in corpus_dir.rglob("*")
        if path.is_file() and path.suffix != ".tbi"
    }
    assert {name: dialect for name, dialect in claimed.items() if dialect} == {
        "HCC2218_manta.vcf": "Manta SV VCF",
        "input.vcf": "Manta SV VCF",
        "NA12878.vcf": "LUMPY SV VCF",
        "test_delly.vcf": "Delly SV VCF",
    }


# --- generated CRBN-positive files ---------------------------------------------------------------------------------


def test_manta_breakend_in_a_crbn_intron_is_kept_from_both_mates(tmp_path: Path) -> None:
    # 3,160,000 lies between exons 5 and 6 of CRBN in GRCh38.
    records = [
        "chr3\t3160000\tMantaBND:1:0:1:0:0:0:0\tA\tA[chr15:80623247[\t.\tPASS\tSVTYPE=BND;MATEID=MantaBND:1:0:1:0:0:0:1"
        "\tPR:SR\t30,0:25,0\t20,12:18,9",
        "chr15\t80623247\tMantaBND:1:0:1:0:0:0:1\tG\t]chr3:3160000]G\t.\tPASS\tSVTYPE=BND;MATEID=MantaBND:1:0:1:0:0:0:0"
        "\tPR:SR\t30,0:25,0\t20,12:18,9",
    ]
    meta = ["##source=GenerateSVCandidates 1.6.0", GRCH38_CONTIG]
    source = vcf(tmp_path, meta, ["NORMAL", "TUMOUR"], records)
    result = structural.parse(source, ParseOptions(tumour_sample="TUMOUR"))
    here, mate = result.structural_variants
    assert crbn_exon_at(GRCH38, 3_160_000) is None
    assert (here.gene, here.chrom, here.pos, here.mate_chrom, here.mate_pos) == (
        "CRBN",
        "3",
        3_160_000,
        "15",
        80_623_247,
    )
    assert (mate.gene, mate.chrom, mate.mate_chrom, mate.mate_pos) == ("CRBN", "15", "3", 3_160_000)
    assert here.support == mate.support == 12 + 9
    assert (result.build, result.dialect) == (GRCH38, "Manta SV VCF")


def test_delly_deletion_spanning_the_whole_crbn_gene_is_kept(tmp_path: Path) -> None:
    # Both breakpoints lie outside padded GRCh38 CRBN (3,145,011-3,184,710): kept because the span covers it.
    info = "PRECISE;SVTYPE=DEL;SVMETHOD=EMBL.DELLYv1.1.6;CHR2=3;END=3250000;PE=12;CT=3to5"
    tumour = "0/1:-40,0,-90:100:PASS:1:2:3:1:20:14:30:9"
    record = f"3\t3100000\tDEL00000001\tN\t<DEL>\t.\tPASS\t{info}\t{DELLY_FORMAT}\t{tumour}"
    meta = ["##reference=/refs/GRCh38/GRCh38.fa", "##tumor_sample=TUM"]
    result = structural.parse(vcf(tmp_path, meta, ["TUM"], [record]), ParseOptions())
    [variant] = result.structural_variants
    assert (variant.gene, variant.svtype, variant.pos, variant.end) == ("CRBN", "DEL", 3_100_000, 3_250_000)
    assert variant.support == 14 + 9
    assert (result.dialect, result.build, result.tumour_sample_reason) == (
        "Delly SV VCF",
        GRCH38,
        "##tumor_sample header",
    )


def test_deletion_with_svlen_but_no_end_spans_crbn(tmp_path: Path) -> None:
    record = "3\t3100000\tdel1\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;SVLEN=-150000"
    [variant] = structural.parse(vcf(tmp_path, [GRCH38_CONTIG], [], [record]), ParseOptions()).structural_variants
    assert (variant.gene, variant.end, variant.support) == ("CRBN", 3_250_000, None)


def test_gridss_single_breakend_in_crbn_counts_breakend_fragments(tmp_path: Path) -> None:
    info = "SVTYPE=BND;EVENT=gridss1_1b;BVF=11;VF=0"
    record = f"chr3\t3160000\tgridss1_1b\tA\tATTTGCA.\t512.3\tPASS\t{info}\tGT:BVF:VF\t./.:11:0"
    meta = ['##FORMAT=<ID=BVF,Number=1,Type=Integer,Description="Breakend fragments">', "##source=GRIDSS"]
    result = structural.parse(vcf(tmp_path, meta, ["tumour"], [record]), ParseOptions(expected_build=GRCH38))
    [variant] = result.structural_variants
    assert (variant.gene, variant.svtype, variant.mate_chrom, variant.mate_pos) == ("CRBN", "BND", "", None)
    assert (variant.support, result.dialect) == (11, "GRIDSS SV VCF")


def test_svaba_breakend_support_is_its_single_ad_count(tmp_path: Path) -> None:
    record = "3\t3160000\t1:1\tG\tG]15:80623247]\t60\tPASS\tSVTYPE=BND;MATEID=1:2\tGT:AD:DP:SR:DR\t0/1:17:60:9:8"
    result = structural.parse(
        vcf(tmp_path, ["##source=svaba"], ["tumour.bam"], [record]), ParseOptions(expected_build=GRCH38)
    )
    [variant] = result.structural_variants
    assert (variant.gene, variant.support, result.dialect) == ("CRBN", 17, "SvABA SV VCF")


def test_breakend_whose_mate_is_in_crbn_is_kept_with_the_mate_gene(tmp_path: Path) -> None:
    record = "15\t80623247\tb1\tG\tG[3:3160000[\t.\tPASS\tSVTYPE=BND\tSU\t6"
    [variant] = structural.parse(vcf(tmp_path, [GRCH38_CONTIG], ["T"], [record]), ParseOptions()).structural_variants
    assert (variant.gene, variant.chrom, variant.pos, variant.support) == ("CRBN", "15", 80_623_247, 6)


def test_filtered_record_keeps_its_filter(tmp_path: Path) -> None:
    record = "3\t3160000\tx\tN\t<INV>\t.\tMinSomaticScore\tSVTYPE=INV;END=3170000"
    [variant] = structural.parse(vcf(tmp_path, [GRCH38_CONTIG], [], [record]), ParseOptions()).structural_variants
    assert (variant.filter, variant.svtype) == ("MinSomaticScore", "INV")


def test_translocation_written_as_tra_with_chr2_and_end_is_a_breakend(tmp_path: Path) -> None:
    record = "15\t80623247\tTRA1\tN\t<TRA>\t.\tPASS\tSVTYPE=TRA;CHR2=3;END=3160000"
    [variant] = structural.parse(vcf(tmp_path, [GRCH38_CONTIG], [], [record]), ParseOptions()).structural_variants
    assert (variant.svtype, variant.mate_chrom, variant.mate_pos, variant.end) == ("BND", "3", 3_160_000, None)


# --- hostile inputs -----------------------------------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the file is empty") as raised:
        structural.parse(raw(tmp_path, ""), ParseOptions())
    assert raised.value.line is None


def test_file_not_starting_with_fileformat_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="##fileformat=VCF") as raised:
        structural.parse(raw(tmp_path, "#\nis not\na vcf\n"), ParseOptions())
    assert raised.value.line == 1


def test_header_without_chrom_line_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no #CHROM line"):
        structural.parse(raw(tmp_path, "##fileformat=VCFv4.2\n##source=Manta\n"), ParseOptions())


def test_space_separated_chrom_line_is_refused(tmp_path: Path) -> None:
    text = "##fileformat=VCFv4.2\n#CHROM POS ID REF ALT QUAL FILTER INFO\n"
    with pytest.raises(ParseError, match="not the tab-separated VCF column line") as raised:
        structural.parse(raw(tmp_path, text), ParseOptions())
    assert raised.value.line == 2


def test_non_numeric_pos_is_refused(tmp_path: Path) -> None:
    record = "3\tabc\tx\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=3170000"
    with pytest.raises(ParseError, match="POS is 'abc'") as raised:
        structural.parse(vcf(tmp_path, [], [], [record]), ParseOptions())
    assert raised.value.line == 3


def test_record_with_missing_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the record has 8 columns but the #CHROM line has 10"):
        structural.parse(vcf(tmp_path, [], ["T"], ["3\t1\tx\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=5"]), ParseOptions())


def test_record_that_is_not_structural_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="no SVTYPE"):
        structural.parse(vcf(tmp_path, [], [], ["3\t3160000\tx\tA\tG\t.\tPASS\tDP=10"]), ParseOptions())


def test_tumour_sample_not_in_the_file_is_refused_listing_the_samples(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="'TUMOUR' is not a sample column") as raised:
        structural.parse(vcf(tmp_path, [], ["N", "T"], []), ParseOptions(tumour_sample="TUMOUR"))
    assert (raised.value.line, raised.value.expected) == (2, "one of: N, T")


def test_tumor_sample_header_naming_an_absent_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="'X' is not a sample column"):
        structural.parse(vcf(tmp_path, ["##tumor_sample=X"], ["N", "T"], []), ParseOptions())


def test_reference_and_contig_length_disagreeing_on_the_build_is_refused(tmp_path: Path) -> None:
    meta = ["##reference=file:///refs/hg19.fa", GRCH38_CONTIG]
    with pytest.raises(ParseError, match="contradicts") as raised:
        structural.parse(vcf(tmp_path, meta, [], []), ParseOptions())
    assert raised.value.line == 3


def test_uploader_tumour_choice_is_not_held_against_a_sites_only_file(tmp_path: Path) -> None:
    record = "3\t3160000\tx\tN\t<INV>\t.\tPASS\tSVTYPE=INV;END=3170000"
    source = vcf(tmp_path, [GRCH38_CONTIG], [], [record])
    result = structural.parse(source, ParseOptions(tumour_sample="TUMOUR"))
    assert [variant.support for variant in result.structural_variants] == [None]
    assert "no sample columns: read support is left empty" in result.warnings
