"""rules/adapters.py: parser facts to engine facts (evidence flags, numbering, duplicates) and HISTORY.json."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rules.adapters import (
    UNANNOTATED_CONSEQUENCE,
    adapt_parse_results,
    copy_number_fact,
    exon10_fact,
    sample_facts_from_parse_results,
    small_variant_fact,
    structural_variant_fact,
    treatment_lines_from_history,
)
from rules.engine import AssessmentInput, KnowledgeBase, SampleFacts, assess
from variants.parsers import vcf
from variants.parsers.copy_number import LOG2_SOURCE
from variants.parsers.facts import (
    CopyNumberSegment,
    Expression,
    Fusion,
    JunctionCount,
    ParseOptions,
    ParseResult,
    SmallVariant,
    StructuralVariant,
)
from variants.parsers.reader import LineSource

from .test_crbn_assess import MUTECT2_HEADER

GRCH38 = "GRCh38"
C391R = SmallVariant(
    gene="CRBN",
    chrom="3",
    pos=3151022,
    ref="A",
    alt="G",
    filter="PASS",
    line=11,
    vaf=0.45,
    depth=200,
    alt_count=90,
    transcript="NM_016302.4",
    hgvs_c="c.1171T>C",
    hgvs_p="p.Cys391Arg",
    consequence="missense_variant",
    exon=11,
    protein_position=391,
)
CRBN_SEGMENT = CopyNumberSegment("CRBN", "3", 3_000_001, 3_300_000, line=2, copy_number=1.0, source="cn")
# Isoform 2 (NM_001173482, lacks Ala23) writes canonical Cys391 as Cys390.
ISOFORM2_CSQ = (
    "G|missense_variant|MODERATE|CRBN|ENSG00000113851|Transcript|NM_001173482.1|protein_coding|11/11||"
    "NM_001173482.1:c.1168T>C|NP_001166953.1:p.Cys390Arg|390"
)


def result(kind: str, **rows: Any) -> ParseResult:
    return ParseResult(kind=kind, dialect="test", **rows)


def facts(*results: ParseResult, **options: Any) -> SampleFacts:
    return sample_facts_from_parse_results(results, build=GRCH38, purity=options.get("purity"), assay=None)


def warnings(*results: ParseResult) -> tuple[str, ...]:
    return adapt_parse_results(results, build=GRCH38, purity=None, assay=None).warnings


# ---- small variants -------------------------------------------------------------------------------------------


def test_a_vcf_without_crbn_records_still_means_dna_was_assessed() -> None:
    sample = facts(result("small_variants"))
    assert sample.has_dna_variants and sample.variants == ()


def test_a_variant_keeps_its_key_numbering_and_read_counts() -> None:
    fact = small_variant_fact(C391R)
    assert (fact.key, fact.transcript, fact.protein_position, fact.hgvs_p) == (
        "3:3151022:A>G",
        "NM_016302.4",
        391,
        "p.Cys391Arg",
    )
    assert (fact.vaf, fact.depth, fact.alt_count, fact.pos, fact.filter) == (0.45, 200, 90, 3151022, "PASS")


def test_an_isoform2_call_the_parser_already_converted_is_not_shifted_twice(tmp_path: Path, kb: KnowledgeBase) -> None:
    path = tmp_path / "isoform2.vcf"
    record = f"chr3\t3151022\t.\tA\tG\t.\tPASS\tCSQ={ISOFORM2_CSQ}\tGT:AD:AF:DP\t0/0:60,0:0.0:60\t0/1:100,100:0.5:200"
    path.write_text("\n".join([*MUTECT2_HEADER, record]) + "\n")
    parsed = vcf.parse(LineSource(path), ParseOptions())
    assert parsed.small_variants[0].transcript == "NM_001173482.1"  # what the parser leaves behind
    fact = small_variant_fact(parsed.small_variants[0])
    assert (fact.transcript, fact.protein_position) == ("NM_016302.4", 391)
    assert fact.hgvs_c == "NM_001173482.1:c.1168T>C"  # c. stays on isoform 2, and says so
    found = assess(AssessmentInput(facts(parsed)), kb).alterations
    assert [(item.alteration_class, item.entry) for item in found] == [("B", "classes.B.residues.C391")]


def test_an_unannotated_exonic_crbn_variant_is_never_passed_as_harmless(kb: KnowledgeBase) -> None:
    bare = replace(C391R, transcript="", hgvs_c="", hgvs_p="", consequence="", protein_position=None)
    unannotated = replace(bare, needs_annotation=True)
    assert small_variant_fact(unannotated).consequence == UNANNOTATED_CONSEQUENCE
    assert "annotate the file" in warnings(result("small_variants", small_variants=[unannotated]))[0]
    everything_else = result("junctions", junctions=_exon10_junctions(0, 100, 100))
    segment = result("copy_number", segments=[replace(CRBN_SEGMENT, copy_number=2.0)])
    sample = replace(
        facts(result("small_variants", small_variants=[unannotated]), everything_else, segment), has_sv=True
    )
    assert assess(AssessmentInput(sample), kb).drug("lenalidomide").call.value == "uncertain"


def test_an_unannotated_splice_site_variant_is_protein_altering_and_named_so() -> None:
    bare = replace(C391R, transcript="", hgvs_c="", hgvs_p="", consequence="", protein_position=None, exon=None)
    splice_site = replace(bare, needs_annotation=True)
    assert small_variant_fact(splice_site).consequence == UNANNOTATED_CONSEQUENCE
    [warning] = warnings(result("small_variants", small_variants=[splice_site]))
    assert "lies at a canonical splice site but the file carries no annotation" in warning


def test_the_same_variant_from_two_callers_is_kept_once_with_a_warning() -> None:
    first, second = result("small_variants", small_variants=[C391R]), result("small_variants", small_variants=[C391R])
    assert len(facts(first, second).variants) == 1
    assert warnings(first, second) == (
        "variant 3:3151022:A>G is reported more than once: the first file's report is used",
    )


# ---- copy number ----------------------------------------------------------------------------------------------


def test_a_segment_over_crbn_marks_copy_number_assessed() -> None:
    sample = facts(result("copy_number", segments=[CRBN_SEGMENT]))
    assert sample.has_copy_number
    assert [(item.total_cn, item.key) for item in sample.copy_number] == [(1.0, "3:3000001-3300000")]


def test_a_segment_file_that_does_not_reach_crbn_leaves_copy_number_unassessed() -> None:
    ikzf1 = CopyNumberSegment("IKZF1", "7", 50_000_000, 50_500_000, line=2, copy_number=2.0, source="cn")
    cn_file = result("copy_number", segments=[ikzf1])
    assert not facts(cn_file).has_copy_number
    assert "no segment overlaps CRBN (GRCh38 chr3:3148992-3179710)" in warnings(cn_file)[0]


def test_a_segment_of_the_other_builds_crbn_span_does_not_count() -> None:
    # Kept by a parser that did not know the build: GRCh37's CRBN lies 40 kb right of GRCh38's.
    grch37_only = replace(CRBN_SEGMENT, start=3_190_676, end=3_221_394)
    assert not facts(result("copy_number", segments=[grch37_only])).has_copy_number


def test_a_copy_number_estimated_from_log2_is_passed_as_log2_only() -> None:
    estimated = replace(CRBN_SEGMENT, copy_number=1.0, log2_ratio=-1.1, source=LOG2_SOURCE)
    fact = copy_number_fact(estimated)
    assert (fact.total_cn, fact.log2) == (None, -1.1)
    assert "only a log2 ratio" in warnings(result("copy_number", segments=[estimated]))[0]


# ---- structural variants, junctions, expression, fusions ------------------------------------------------------


def test_an_sv_file_without_crbn_breakpoints_still_means_svs_were_assessed() -> None:
    sample = facts(result("structural_variants"))
    assert sample.has_sv and sample.structural_variants == ()


@pytest.mark.parametrize(
    ("variant", "mate"),
    [
        (StructuralVariant("CRBN", "3", 3_160_000, 5, "DEL", sv_id="MantaDEL:1", end=3_170_000), (None, 3_170_000)),
        (StructuralVariant("CRBN", "3", 3_160_000, 5, "BND", mate_chrom="8", mate_pos=128_000_000), ("8", 128_000_000)),
    ],
)
def test_an_sv_carries_its_other_end(variant: StructuralVariant, mate: tuple[str | None, int]) -> None:
    fact = structural_variant_fact(variant)
    assert (fact.mate_chrom, fact.mate_pos) == mate
    assert fact.key == (variant.sv_id or f"3:3160000:{variant.svtype}")


def _exon10_junctions(skip: int, downstream: int, upstream: int) -> list[JunctionCount]:
    introns = ((3151046, 3153423, skip), (3151046, 3152455, downstream), (3152588, 3153423, upstream))
    return [JunctionCount("3", start, end, reads, line=1, strand="-") for start, end, reads in introns]


def test_exon10_reads_are_summed_over_every_junction_file() -> None:
    lanes = [result("junctions", junctions=_exon10_junctions(30, 60, 40)) for _ in range(2)]
    exon10 = facts(*lanes).exon10
    assert exon10 is not None
    assert (exon10.skip, exon10.inclusion_downstream, exon10.inclusion_upstream) == (60, 120, 80)


def test_a_junction_file_without_exon10_reads_is_provided_but_has_no_exon10_fact() -> None:
    other = JunctionCount("3", 3_160_000, 3_165_000, 12, line=1)
    sample = facts(result("junctions", junctions=[other]))
    assert sample.has_rna_junctions and sample.exon10 is None
    assert exon10_fact([], GRCH38) is None


def test_crbn_expression_is_bound_to_its_method_and_unit() -> None:
    rows = [Expression("CRBN", 12.5, "TPM", "salmon", 3), Expression("IKZF1", 40.0, "TPM", "salmon", 4)]
    sample = facts(result("expression", expression=rows))
    assert sample.has_expression
    assert [(item.value, item.assay) for item in sample.expression] == [(12.5, "salmon TPM")]


def test_an_expression_file_without_crbn_leaves_expression_unassessed() -> None:
    rows = result("expression", expression=[Expression("IKZF1", 40.0, "TPM", "salmon", 4)])
    assert not facts(rows).has_expression
    assert "no CRBN row" in warnings(rows)[0]


def test_a_crbn_fusion_is_a_warning_never_sv_evidence() -> None:
    fusion = Fusion("CRBN", "IGH", "3:3160000", "14:105600000", line=2, reads=12, caller="Arriba")
    fusions = result("fusions", fusions=[fusion])
    assert not facts(fusions).has_sv
    assert warnings(fusions) == (
        "CRBN fusion CRBN--IGH (3:3160000 / 14:105600000) reported by Arriba: not weighed by the engine "
        "(no fusion rule); review it manually",
    )


def test_nothing_provided_means_nothing_assessed_and_purity_is_passed_on() -> None:
    sample = facts(purity=0.6)
    assert sample.purity == 0.6 and sample.build == GRCH38
    assert not any(sample.provided(kind) for kind in ("dna_variants", "copy_number", "rna_junctions"))


# ---- treatment history ----------------------------------------------------------------------------------------

LEN_LINE = {
    "line": 1,
    "drugs": ["lenalidomide", "dexamethasone"],
    "start": "2021-02-01",
    "end": "2022-06-30",
    "best_response": "VGPR",
    "progression": "2022-07-15",
}


def test_history_lines_become_treatment_line_facts() -> None:
    (line,) = treatment_lines_from_history([LEN_LINE])
    assert line.line == 1 and line.drug_names == ("dexamethasone", "lenalidomide")
    assert (line.start, line.end, line.progression) == (date(2021, 2, 1), date(2022, 6, 30), date(2022, 7, 15))
    assert line.best_response == "VGPR"


def test_an_ongoing_line_needs_only_line_and_drugs() -> None:
    (line,) = treatment_lines_from_history([{"line": 2, "drugs": ["pomalidomide"], "end": None}])
    assert (line.start, line.end, line.progression, line.best_response) == (None, None, None, None)


def test_drug_last_doses_name_drugs_stopped_early() -> None:
    item = {**LEN_LINE, "drugs": ["bortezomib", "lenalidomide"], "drug_last_doses": {"bortezomib": "2021-06-01"}}
    (line,) = treatment_lines_from_history([item])
    assert line.last_dose("bortezomib") == date(2021, 6, 1)
    assert line.last_dose("lenalidomide") == date(2022, 6, 30)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drugs": None}, "item 0, key 'drugs': expected a non-empty list"),
        ({"drugs": ["Lenalidomide"]}, "item 0, key 'drugs': drug names must be lower-case"),
        ({"line": 0}, "item 0, key 'line': expected a whole number from 1"),
        ({"line": True}, "item 0, key 'line'"),
        ({"start": "2021-02-30"}, "item 0, key 'start': expected an ISO date YYYY-MM-DD or null"),
        ({"progression": "20220715"}, "item 0, key 'progression'"),
        ({"end": "2020-01-01"}, "item 0, key 'end': 2020-01-01 is before the start 2021-02-01"),
        ({"best_response": "good"}, "item 0, key 'best_response': expected one of sCR, CR"),
        ({"regimen": "Rd"}, "item 0: unknown key 'regimen'"),
        ({"drug_last_doses": {"bortezomib": "2021-06-01"}}, "item 0, key 'drug_last_doses': 'bortezomib' is not"),
        ({"drug_last_doses": {"lenalidomide": None}}, "item 0, key 'drug_last_doses': expected an ISO date"),
    ],
)
def test_bad_history_names_the_item_and_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        treatment_lines_from_history([{**LEN_LINE, **change}])


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ({"line": 1}, "the history must be a JSON list"),
        (["line 1"], "item 0: expected an object"),
        ([{"line": 1}], "item 0: key 'drugs' is missing"),
        ([LEN_LINE, LEN_LINE], "line 1 is listed more than once"),
    ],
)
def test_a_history_that_is_not_a_list_of_lines_is_refused(items: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        treatment_lines_from_history(items)
