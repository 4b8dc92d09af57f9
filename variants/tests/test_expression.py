"""Expression: salmon, RSEM, featureCounts and plain tables give CRBN (and pathway genes) with method and unit."""

from pathlib import Path

import pytest

from variants.parsers import expression
from variants.parsers.facts import Expression, ParseError, ParseOptions
from variants.parsers.reader import LineSource

OPTIONS = ParseOptions()
SALMON_HEADER = "Name\tLength\tEffectiveLength\tTPM\tNumReads"
RSEM_GENES_HEADER = "gene_id\ttranscript_id(s)\tlength\teffective_length\texpected_count\tTPM\tFPKM"
RSEM_ISOFORMS_HEADER = "transcript_id\tgene_id\tlength\teffective_length\texpected_count\tTPM\tFPKM\tIsoPct"
FEATURECOUNTS_COMMENT = '# Program:featureCounts v2.0.6; Command:"featureCounts" "-a" "genes.gtf" "-o" "counts.txt"'
FEATURECOUNTS_HEADER = "Geneid\tChr\tStart\tEnd\tStrand\tLength"


def source(tmp_path: Path, lines: list[str], name: str = "quant.sf") -> LineSource:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return LineSource(path)


def parse(tmp_path: Path, lines: list[str], options: ParseOptions = OPTIONS):
    return expression.parse(source(tmp_path, lines), options)


# --- salmon ---------------------------------------------------------------------------------------------------


def test_salmon_sums_the_tpm_of_crbn_transcripts(tmp_path: Path) -> None:
    result = parse(
        tmp_path,
        [
            SALMON_HEADER,
            "ENST00000456328.2\t1657\t1482.0\t4.1\t20.0",
            "ENST00000231948.9\t2206\t2031.0\t12.5\t95.0",
            "ENST00000432408.5\t2203\t2028.0\t3.25\t24.0",
        ],
    )
    assert result.dialect == expression.SALMON
    assert result.records_read == 3
    assert result.expression == [Expression("CRBN", 15.75, "TPM", "salmon", 3)]
    assert any("sum of 2 transcripts (lines 3, 4)" in warning for warning in result.warnings)
    assert any("named without their gene" in warning for warning in result.warnings)


def test_salmon_gencode_names_carry_the_gene_symbol(tmp_path: Path) -> None:
    crbn = "ENST00000231948.9|ENSG00000113851.15|OTTHUMG00000090289.4|OTTHUMT00000206630.2|CRBN-201|CRBN|2206|"
    other = "ENST00000999999.1|ENSG00000113851.15|-|-|CRBN-209|CRBN|800|retained_intron|"
    ikzf1 = "ENST00000331340.8|ENSG00000185811.20|-|-|IKZF1-201|IKZF1|5847|protein_coding|"
    result = parse(
        tmp_path,
        [SALMON_HEADER, f"{crbn}\t2206\t2031\t10\t80", f"{other}\t800\t625\t2\t5", f"{ikzf1}\t5847\t5672\t7.5\t100"],
    )
    assert [(row.gene, row.value) for row in result.expression] == [("CRBN", 12.0), ("IKZF1", 7.5)]
    assert not any("named without their gene" in warning for warning in result.warnings)


def test_salmon_gene_level_quant_reads_the_ensembl_gene(tmp_path: Path) -> None:
    result = parse(tmp_path, [SALMON_HEADER, "ENSG00000113851.15\t2206\t2031\t22.75\t180"])
    assert result.expression == [Expression("CRBN", 22.75, "TPM", "salmon", 2)]
    assert result.warnings == []


# --- RSEM ------------------------------------------------------------------------------------------------------


def test_rsem_genes_results_match_a_versioned_ensembl_gene(tmp_path: Path) -> None:
    lines = [
        RSEM_GENES_HEADER,
        "ENSG00000000003.14\tENST00000373020.8\t2206.00\t2031.00\t120.00\t5.10\t2.90",
        "ENSG00000113851.15\tENST00000231948.9,ENST00000432408.5\t2150.31\t1975.31\t812.00\t35.17\t20.02",
    ]
    result = parse(tmp_path, lines)
    assert result.dialect == expression.RSEM_GENES
    assert result.expression == [Expression("CRBN", 35.17, "TPM", "RSEM", 3)]


def test_rsem_isoforms_are_summed_by_their_gene(tmp_path: Path) -> None:
    lines = [
        RSEM_ISOFORMS_HEADER,
        "ENST00000231948.9\tENSG00000113851.15_CRBN\t2206\t2031\t600\t30.00\t17.0\t85.71",
        "ENST00000888888.1\tENSG00000113851.15_CRBN\t900\t725\t50\t5.00\t2.8\t14.29",
    ]
    result = parse(tmp_path, lines)
    assert result.expression == [Expression("CRBN", 35.0, "TPM", "RSEM", 2)]


# --- featureCounts ----------------------------------------------------------------------------------------------


def test_featurecounts_matches_crbn_by_entrez_id_and_records_counts(tmp_path: Path) -> None:
    lines = [
        FEATURECOUNTS_COMMENT,
        f"{FEATURECOUNTS_HEADER}\t/data/bam/MM-042.relapse.bam",
        "653635\tchr1;chr1\t14404;15005\t14501;15038\t-;-\t1769\t3",
        "51185\tchr3;chr3\t3150011;3152456\t3151045;3152587\t-;-\t2206\t1482",
    ]
    result = parse(tmp_path, lines)
    assert result.dialect == expression.FEATURECOUNTS
    assert result.expression == [Expression("CRBN", 1482.0, "counts", "featureCounts", 4)]
    assert result.tumour_sample == "/data/bam/MM-042.relapse.bam"


def test_featurecounts_with_several_bams_needs_the_tumour_sample(tmp_path: Path) -> None:
    lines = [
        FEATURECOUNTS_COMMENT,
        f"{FEATURECOUNTS_HEADER}\tnormal.bam\ttumour.bam",
        "ENSG00000113851.15\t3\t3150011\t3179710\t-\t2206\t400\t90",
    ]
    with pytest.raises(ParseError, match="2 count columns and no tumour sample"):
        parse(tmp_path, lines)
    result = parse(tmp_path, lines, ParseOptions(tumour_sample="tumour"))
    assert (result.expression[0].value, result.tumour_sample) == (90.0, "tumour.bam")


def test_featurecounts_refuses_a_fractional_count(tmp_path: Path) -> None:
    lines = [f"{FEATURECOUNTS_HEADER}\tS1.bam", "CRBN\t3\t3150011\t3179710\t-\t2206\t3.5"]
    with pytest.raises(ParseError, match=r"line 2: counts value '3\.5' is not a whole number"):
        parse(tmp_path, lines)


# --- plain tables -------------------------------------------------------------------------------------------------


def test_a_tpm_table_matches_symbols_in_any_case_and_keeps_pathway_genes(tmp_path: Path) -> None:
    lines = ["gene_name,gene_id,TPM", '"crbn","ENSG00000113851",18.4', "IKZF3,ENSG00000161405,44", "GAPDH,ENSG1,900"]
    result = parse(tmp_path, lines)
    assert result.dialect == expression.TABLE
    assert result.expression == [
        Expression("CRBN", 18.4, "TPM", "table", 2),
        Expression("IKZF3", 44.0, "TPM", "table", 3),
    ]


def test_a_table_takes_its_unit_from_the_header_and_skips_na(tmp_path: Path) -> None:
    result = parse(tmp_path, ["symbol\tFPKM", "CRBN\t7.25", "IRF4\tNA"])
    assert result.expression == [Expression("CRBN", 7.25, "FPKM", "table", 2)]
    assert "IRF4 has no FPKM value (line 3): not kept" in result.warnings


def test_a_file_without_crbn_says_so(tmp_path: Path) -> None:
    result = parse(tmp_path, ["gene\tvalue", "MYC\t3.0"])
    assert "CRBN was not found among the 1 rows" in result.warnings
    assert "the 'value' column does not name its unit" in result.warnings


def test_sniff_names_each_dialect() -> None:
    assert expression.sniff([SALMON_HEADER], "quant.sf") == expression.SALMON
    assert expression.sniff([RSEM_GENES_HEADER], "x.genes.results") == expression.RSEM_GENES
    assert expression.sniff([RSEM_ISOFORMS_HEADER], "x.isoforms.results") == expression.RSEM_ISOFORMS
    assert expression.sniff([FEATURECOUNTS_COMMENT, f"{FEATURECOUNTS_HEADER}\ta.bam\tb.bam"], "c") == "featureCounts"
    assert expression.sniff(["gene\tTPM"], "t.tsv") == expression.TABLE
    assert expression.sniff(["##fileformat=VCFv4.2", "#CHROM\tPOS"], "v.vcf") is None
    assert expression.sniff([], "empty") is None


# --- hostile input ------------------------------------------------------------------------------------------------


def test_a_tpm_that_is_not_a_number_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 3: TPM value 'high' is not a number") as error:
        parse(
            tmp_path, [SALMON_HEADER, "ENST00000231948.9\t2206\t2031\t1.0\t9", "ENST00000432408.5\t2203\t2028\thigh\t9"]
        )
    assert error.value.line == 3


def test_a_negative_or_infinite_tpm_is_refused(tmp_path: Path) -> None:
    for value in ("-1", "inf"):
        with pytest.raises(ParseError, match="is not a finite non-negative number"):
            parse(tmp_path, [SALMON_HEADER, f"ENST00000231948.9\t2206\t2031\t{value}\t9"])


def test_a_row_with_the_wrong_column_count_is_named(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 2: the line has 4 columns; expected 5 columns as in the header"):
        parse(tmp_path, [SALMON_HEADER, "ENST00000231948.9\t2206\t2031\t12.5"])


def test_an_unknown_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 1: the header is not one of the supported expression formats"):
        parse(tmp_path, ["probe\tsignal", "218142_s_at\t7.1"])


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the file is empty"):
        parse(tmp_path, [])
