"""Fusions: Arriba and STAR-Fusion calls with CRBN as a partner are kept, with breakpoints and supporting reads."""

from pathlib import Path

import pytest

from variants.parsers import fusions
from variants.parsers.facts import Fusion, ParseError, ParseOptions
from variants.parsers.reader import LineSource

OPTIONS = ParseOptions()
ARRIBA_HEADER = (
    "#gene1\tgene2\tstrand1(gene/fusion)\tstrand2(gene/fusion)\tbreakpoint1\tbreakpoint2\tsite1\tsite2\ttype"
    "\tsplit_reads1\tsplit_reads2\tdiscordant_mates\tcoverage1\tcoverage2\tconfidence"
)
STAR_FUSION_HEADER = (
    "#FusionName\tJunctionReadCount\tSpanningFragCount\tSpliceType\tLeftGene\tLeftBreakpoint\tRightGene"
    "\tRightBreakpoint\tLargeAnchorSupport"
)


def arriba_row(gene1: str, gene2: str, split1: str = "6", split2: str = "3", discordant: str = "2") -> str:
    return (
        f"{gene1}\t{gene2}\t-/-\t+/+\t3:3152500\tchr12:6534000\tsplice-site\tsplice-site\ttranslocation"
        f"\t{split1}\t{split2}\t{discordant}\t40\t55\thigh"
    )


def source(tmp_path: Path, lines: list[str], name: str = "fusions.tsv") -> LineSource:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return LineSource(path)


# --- the shared corpus -------------------------------------------------------------------------------------------


def test_arriba_corpus_bcr_abl1_is_not_kept_by_default(corpus_dir: Path) -> None:
    path = corpus_dir / "rna_fusion" / "fusions.tsv"
    source_ = LineSource(path)
    result = fusions.parse(source_, OPTIONS)
    assert fusions.sniff(source_.head(), path.name) == fusions.ARRIBA
    assert (result.records_read, result.records_kept, result.build) == (1, 0, None)


def test_arriba_corpus_bcr_abl1_breakpoints_and_reads(corpus_dir: Path) -> None:
    # split_reads1 4 + split_reads2 7 + discordant_mates 0 = 11.
    result = fusions.parse(LineSource(corpus_dir / "rna_fusion" / "fusions.tsv"), OPTIONS, partners=frozenset({"BCR"}))
    assert result.fusions == [Fusion("BCR", "ABL1", "22:23632600", "9:133729451", 2, reads=11, caller="Arriba")]


def test_star_fusion_corpus_has_no_crbn_call(corpus_dir: Path) -> None:
    path = corpus_dir / "rna_fusion" / "star-fusion.fusion_candidates.final.abridged"
    source_ = LineSource(path)
    result = fusions.parse(source_, OPTIONS)
    assert fusions.sniff(source_.head(), path.name) == fusions.STAR_FUSION
    assert (result.records_read, result.records_kept) == (24, 0)


def test_star_fusion_corpus_calls_are_matched_by_symbol_or_ensembl_gene(corpus_dir: Path) -> None:
    # Line 4: VAPB--IKZF3, JunctionReadCount 5 + SpanningFragCount 46, chr20:56964573:+ / chr17:37934020:-.
    path = corpus_dir / "rna_fusion" / "star-fusion.fusion_candidates.final.abridged"
    by_symbol = fusions.parse(LineSource(path), OPTIONS, partners=frozenset({"ikzf3"}))
    by_gene_id = fusions.parse(LineSource(path), OPTIONS, partners=frozenset({"ENSG00000161405"}))
    assert [fusion.line for fusion in by_symbol.fusions] == [4, 6, 7]
    assert by_gene_id.fusions == by_symbol.fusions
    expected = Fusion("VAPB", "IKZF3", "20:56964573", "17:37934020", 4, reads=51, caller="STAR-Fusion")
    assert by_symbol.fusions[0] == expected


# --- generated calls ---------------------------------------------------------------------------------------------


def test_arriba_crbn_fusion_is_kept_with_split_and_discordant_reads(tmp_path: Path) -> None:
    result = fusions.parse(
        source(tmp_path, [ARRIBA_HEADER, arriba_row("BCR", "ABL1"), arriba_row("CRBN", "XYZ")]), OPTIONS
    )
    assert result.records_read == 2
    assert result.fusions == [Fusion("CRBN", "XYZ", "3:3152500", "12:6534000", 3, reads=11, caller="Arriba")]


def test_arriba_intergenic_neighbours_count_as_partners(tmp_path: Path) -> None:
    result = fusions.parse(source(tmp_path, [ARRIBA_HEADER, arriba_row("IGH", "CRBN(1234),LRRN1(98765)")]), OPTIONS)
    assert [(fusion.gene1, fusion.gene2) for fusion in result.fusions] == [("IGH", "CRBN,LRRN1")]


def test_star_fusion_crbn_call_shows_the_symbol_and_sums_its_reads(tmp_path: Path) -> None:
    row = (
        "CRBN--OTHER\t12\t7\tONLY_REF_SPLICE\tCRBN^ENSG00000113851.15\tchr3:3153424:-"
        "\tOTHER^ENSG00000999999.1\tchr5:1000:+\tYES_LDAS"
    )
    result = fusions.parse(source(tmp_path, [STAR_FUSION_HEADER, row], "star-fusion.abridged.tsv"), OPTIONS)
    assert result.fusions == [Fusion("CRBN", "OTHER", "3:3153424", "5:1000", 2, reads=19, caller="STAR-Fusion")]


def test_star_fusion_partner_named_only_by_ensembl_gene_is_kept(tmp_path: Path) -> None:
    row = "X--Y\t1\t1\tINCL_NON_REF_SPLICE\tLOC1^ENSG00000113851.9\tchr3:3160000:-\tY^ENSG2.1\tchr3:3000:+\tNO_LDAS"
    result = fusions.parse(source(tmp_path, [STAR_FUSION_HEADER, row]), OPTIONS)
    assert [fusion.gene1 for fusion in result.fusions] == ["LOC1"]


def test_a_header_only_file_has_no_calls(tmp_path: Path) -> None:
    result = fusions.parse(source(tmp_path, [ARRIBA_HEADER]), OPTIONS)
    assert (result.records_read, result.fusions) == (0, [])


def test_sniff_needs_a_known_header() -> None:
    assert fusions.sniff([ARRIBA_HEADER], "fusions.tsv") == fusions.ARRIBA
    assert fusions.sniff([STAR_FUSION_HEADER], "abridged") == fusions.STAR_FUSION
    assert fusions.sniff(["#CHROM\tPOS\tID"], "calls.vcf") is None


# --- hostile input ------------------------------------------------------------------------------------------------


def test_a_row_with_the_wrong_column_count_is_named(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 2: the line has 14 columns; expected 15 columns as in the header"):
        fusions.parse(source(tmp_path, [ARRIBA_HEADER, arriba_row("CRBN", "XYZ").rsplit("\t", 1)[0]]), OPTIONS)


def test_non_integer_read_counts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 2: split_reads2 'many' is not a whole number"):
        fusions.parse(source(tmp_path, [ARRIBA_HEADER, arriba_row("CRBN", "XYZ", split2="many")]), OPTIONS)


def test_a_breakpoint_without_a_position_is_refused(tmp_path: Path) -> None:
    row = arriba_row("CRBN", "XYZ").replace("3:3152500", "3")
    with pytest.raises(ParseError, match="breakpoint '3' is not chromosome:position"):
        fusions.parse(source(tmp_path, [ARRIBA_HEADER, row]), OPTIONS)


def test_a_header_missing_a_needed_column_is_refused(tmp_path: Path) -> None:
    header = ARRIBA_HEADER.replace("discordant_mates", "mates")
    with pytest.raises(ParseError, match=r"line 1: the Arriba fusions\.tsv header lacks discordant_mates"):
        fusions.parse(source(tmp_path, [header]), OPTIONS)


def test_an_unknown_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="line 1: the header starts with 'gene1'"):
        fusions.parse(source(tmp_path, ["gene1\tgene2"]), OPTIONS)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="the file is empty"):
        fusions.parse(source(tmp_path, []), OPTIONS)
