"""Annotation already in a VCF: VEP CSQ, SnpEff ANN and EFF; the CRBN transcript choice and isoform-2 numbering."""

from pathlib import Path

import pytest

from variants.parsers.annotation import Annotation, Annotator, crbn_annotation, three_letter, to_canonical, vep_allele
from variants.parsers.reader import LineSource
from variants.parsers.vcf_header import FieldDef, read_header

CSQ_FORMAT = "Allele|Consequence|SYMBOL|Feature|EXON|HGVSc|HGVSp|Protein_position|BIOTYPE|CANONICAL"
CSQ = FieldDef("CSQ", ".", "String", f"Consequence annotations from Ensembl VEP. Format: {CSQ_FORMAT}")


def csq(*entries: str) -> dict[str, str]:
    return {"CSQ": ",".join(entries)}


MANE = (
    "G|missense_variant|CRBN|ENST00000231948.9|10/11|ENST00000231948.9:c.1171T>C|ENSP00000231948.4:p.Cys391Arg|391|"
    "protein_coding|YES"
)
ISOFORM2 = (
    "G|missense_variant|CRBN|NM_001173482.1|10/11|NM_001173482.1:c.1168T>C|NP_001166953.1:p.Cys390Arg|390|"
    "protein_coding|"
)
OTHER = "G|intron_variant|CRBN|ENST00000424814.5||||||protein_coding|"


def test_vep_field_order_comes_from_the_header_description() -> None:
    annotation = Annotator({"CSQ": CSQ}).annotate(csq(OTHER, MANE), "CRBN", "A", ["G"], "G")
    assert (annotation.transcript, annotation.hgvs_c, annotation.hgvs_p) == (
        "ENST00000231948.9",
        "c.1171T>C",
        "p.Cys391Arg",
    )
    assert (annotation.consequence, annotation.exon, annotation.protein_position) == ("missense_variant", 10, 391)
    assert annotation.warning == ""


def test_the_mane_transcript_wins_over_isoform_2_in_any_order() -> None:
    annotation = Annotator({"CSQ": CSQ}).annotate(csq(ISOFORM2, MANE), "CRBN", "A", ["G"], "G")
    assert annotation.transcript == "ENST00000231948.9"


def test_isoform_2_alone_is_moved_to_canonical_numbering_with_a_warning() -> None:
    annotation = Annotator({"CSQ": CSQ}).annotate(csq(ISOFORM2, OTHER), "CRBN", "A", ["G"], "G")
    assert (annotation.hgvs_p, annotation.protein_position) == ("p.Cys391Arg", 391)
    assert (annotation.transcript, annotation.hgvs_c) == ("NM_001173482.1", "c.1168T>C")
    assert "isoform 2" in annotation.warning and "NP_057386.2" in annotation.warning


@pytest.mark.parametrize(
    ("isoform2", "canonical"),
    [
        ("p.Cys390Arg", "p.Cys391Arg"),
        ("p.Arg418Ter", "p.Arg419Ter"),
        ("p.Trp385_Trp399del", "p.Trp386_Trp400del"),
        ("p.Gly300AlafsTer5", "p.Gly301AlafsTer5"),  # the frameshift's length is not a residue
        ("p.Met1?", "p.Met1?"),
        ("p.Pro22Leu", "p.Pro22Leu"),  # before Ala23 both isoforms agree
    ],
)
def test_isoform_2_residue_numbers_after_ala23_gain_one(isoform2: str, canonical: str) -> None:
    assert to_canonical(Annotation(transcript="ENST00000432408.5", hgvs_p=isoform2)).hgvs_p == canonical


def test_crbn_annotated_only_on_other_transcripts_is_empty_and_says_which() -> None:
    annotation = Annotator({"CSQ": CSQ}).annotate(csq(OTHER), "CRBN", "A", ["G"], "G")
    assert annotation.empty
    assert "ENST00000424814.5" in annotation.warning


def test_vep_percent_encoded_equals_is_decoded() -> None:
    synonymous = "G|synonymous_variant|CRBN|NM_016302.4|10/11|NM_016302.4:c.1170A>G|NP_057386.2:p.Cys390%3D|390||"
    annotation = Annotator({"CSQ": CSQ}).annotate(csq(synonymous), "CRBN", "A", ["G"], "G")
    assert annotation.hgvs_p == "p.Cys390="


def test_multi_allelic_vep_entries_are_matched_by_vep_allele() -> None:
    insertion = "A|frameshift_variant|CRBN|NM_016302.4|10/11|NM_016302.4:c.1100dup|NP_057386.2:p.Ser368fs|367||"
    longer = "AA|inframe_insertion|CRBN|NM_016302.4|10/11|NM_016302.4:c.1100_1101dup||367||"
    annotator = Annotator({"CSQ": CSQ})
    assert annotator.annotate(csq(insertion, longer), "CRBN", "G", ["GA", "GAA"], "GAA").hgvs_c == "c.1100_1101dup"
    assert annotator.annotate(csq(insertion, longer), "CRBN", "G", ["GA", "GAA"], "GA").hgvs_c == "c.1100dup"


@pytest.mark.parametrize(
    ("ref", "alts", "alt", "allele"),
    [("A", ["G"], "G", "G"), ("G", ["GA", "GAA"], "GAA", "AA"), ("GA", ["G"], "G", "-"), ("AC", ["GT"], "GT", "GT")],
)
def test_vep_allele_drops_the_shared_first_base(ref: str, alts: list[str], alt: str, allele: str) -> None:
    assert vep_allele(ref, alts, alt) == allele


def test_other_kept_genes_take_the_canonical_entry_of_their_own_gene() -> None:
    ikzf1_other = (
        "T|missense_variant|IKZF1|ENST00000439701|5/7|ENST00000439701.2:c.300G>T|p.Gln100His|100|protein_coding|"
    )
    ikzf1_canonical = (
        "T|missense_variant|IKZF1|ENST00000331340|5/8|ENST00000331340.8:c.438G>T|p.Gln146His|146|protein_coding|YES"
    )
    annotation = Annotator({"CSQ": CSQ}).annotate(csq(ikzf1_other, ikzf1_canonical), "IKZF1", "G", ["T"], "T")
    assert (annotation.hgvs_p, annotation.protein_position) == ("p.Gln146His", 146)


def test_snpeff_ann_cancer_pairs_are_not_alt_alleles() -> None:
    ann = (
        "G-A|missense_variant|MODERATE|CRBN|ENSG00000113851|transcript|NM_016302.4|protein_coding|9/11|c.1000T>C|"
        "p.Cys334Arg|||||,"
        "G|missense_variant|MODERATE|CRBN|ENSG00000113851|transcript|NM_016302.4|protein_coding|10/11|c.1171T>C|"
        "p.Cys391Arg|1212/2206|1171/1329|391/442||"
    )
    annotation = Annotator({}).annotate({"ANN": ann}, "CRBN", "A", ["G"], "G")
    assert (annotation.hgvs_p, annotation.exon, annotation.protein_position) == ("p.Cys391Arg", 10, 391)


def test_snpeff_rank_of_an_intron_variant_is_not_an_exon() -> None:
    ann = (
        "G|intron_variant|MODIFIER|CRBN|ENSG00000113851|transcript|ENST00000231948.9|protein_coding|9/10|"
        "c.1040-20T>C||||||"
    )
    annotation = Annotator({}).annotate({"ANN": ann}, "CRBN", "A", ["G"], "G")
    assert (annotation.consequence, annotation.exon, annotation.hgvs_c) == ("intron_variant", None, "c.1040-20T>C")


def test_legacy_eff_one_letter_change_on_isoform_2_becomes_canonical() -> None:
    eff = "STOP_GAINED(HIGH|NONSENSE|Cga/Tga|R418*|441|CRBN|protein_coding|CODING|ENST00000432408|10)"
    annotation = Annotator({}).annotate({"EFF": eff}, "CRBN", "G", ["A"], "A")
    assert (annotation.consequence, annotation.hgvs_p, annotation.protein_position) == (
        "stop_gained",
        "p.Arg419Ter",
        419,
    )


def test_eff_fields_are_read_in_the_order_the_header_gives(corpus_dir: Path) -> None:
    # test.snpeff.vcf's EFF has no Genotype_Number: Exon is the tenth field.
    source = LineSource(corpus_dir / "vcf_annotated" / "test.snpeff.vcf")
    header = read_header(source.name, source.lines())
    eff = "EXON(MODIFIER|||||MIR1302-10|antisense|NON_CODING|ENST00000469289|1)"
    annotation = Annotator(header.info).annotate({"EFF": eff}, "MIR1302-10", "T", ["G"], "G")
    assert (annotation.consequence, annotation.transcript, annotation.exon) == (
        "non_coding_transcript_exon_variant",
        "ENST00000469289",
        1,
    )


def test_vep_without_hgvs_builds_a_substitution_from_amino_acids_and_position() -> None:
    layout = FieldDef("CSQ", ".", "String", "Format: Consequence|Amino_acids|SYMBOL|Feature|Protein_position")
    annotation = Annotator({"CSQ": layout}).annotate(
        {"CSQ": "missense_variant|W/G|CRBN|NM_016302.4|386"}, "CRBN", "A", ["C"], "C"
    )
    assert (annotation.hgvs_p, annotation.protein_position) == ("p.Trp386Gly", 386)


def test_an_annotation_without_allele_is_ambiguous_for_several_alts() -> None:
    layout = FieldDef("CSQ", ".", "String", "Format: Consequence|SYMBOL|Feature")
    annotation = Annotator({"CSQ": layout}).annotate(
        {"CSQ": "missense_variant|CRBN|NM_016302.4"}, "CRBN", "A", ["C", "G"], "C"
    )
    assert annotation.empty and "several ALTs" in annotation.warning


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("p.C391R", "p.Cys391Arg"),
        ("p.R419*", "p.Arg419Ter"),
        ("p.R419X", "p.Arg419Ter"),
        ("p.W386fs", "p.Trp386fs"),
        ("p.Y384_W386delinsF", "p.Tyr384_Trp386delinsPhe"),
        ("p.Cys391Arg", "p.Cys391Arg"),
        ("p.X106_splice", "p.X106_splice"),
    ],
)
def test_one_letter_protein_changes_become_three_letter(short: str, long: str) -> None:
    assert three_letter(short) == long


def test_no_entries_give_an_empty_annotation() -> None:
    assert crbn_annotation([]).empty
    assert Annotator({"CSQ": CSQ}).annotate({}, "CRBN", "A", ["G"], "G").empty
