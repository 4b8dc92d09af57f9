"""`manage.py crbn_assess`: generated CRBN-positive files in real dialects, the shared corpus, and bad input refused
with exit status 2 and one line. No test here has database access: the command is offline."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from rules.management.commands.crbn_assess import BadInput

MUTECT_EXCERPT = "derived/EMN-3661-G1_EMN-3661-T2_MuTect_SNVs.CRBN_region_excerpt.vcf"
DRUGS = ("thalidomide", "lenalidomide", "pomalidomide", "iberdomide", "mezigdomide")
CALLS = {"resistance_likely", "resistance_possible", "uncertain", "no_alteration_detected", "not_assessable"}
CSQ_LAYOUT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|Protein_position"
)
MUTECT2_HEADER = [
    "##fileformat=VCFv4.2",
    "##source=Mutect2",
    "##tumor_sample=RELAPSE_BM",
    "##normal_sample=GERMLINE_PB",
    "##contig=<ID=chr3,length=198295559>",
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
    "##INFO=<ID=CSQ,Number=.,Type=String,Description="
    f'"Consequence annotations from Ensembl VEP. Format: {CSQ_LAYOUT}">',
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tGERMLINE_PB\tRELAPSE_BM",
]
# NM_016302.4 c.1171T>C p.Cys391Arg (a zinc ligand: class B); the gene is on the minus strand, so A>G on GRCh38.
# AF 0.8 is a clonal heterozygous variant on the one copy left at purity 0.9: 0.9 x 1 / (0.9 x 1 + 2 x 0.1).
C391R = (
    "chr3\t3151022\t.\tA\tG\t.\tPASS\tCSQ=G|missense_variant|MODERATE|CRBN|ENSG00000113851|Transcript|NM_016302.4|"
    "protein_coding|11/11||NM_016302.4:c.1171T>C|NP_057386.2:p.Cys391Arg|391\tGT:AD:AF:DP\t0/0:60,0:0.0:60\t"
    "0/1:40,160:0.8:200"
)
# Exon-10 introns (skip, inclusion exon 11 -> 10, inclusion exon 10 -> 9), first and last intronic base (CRBN.md 2).
EXON10_INTRONS = {
    "GRCh38": ((3151046, 3153423), (3151046, 3152455), (3152588, 3153423)),
    "GRCh37": ((3192730, 3195107), (3192730, 3194139), (3194272, 3195107)),
}
CNVKIT_COLUMNS = "chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight"


def sj_out_tab(skip: int, downstream: int, upstream: int, build: str = "GRCh38") -> str:
    """STAR SJ.out.tab: chrom, intron first/last base, strand (2 = minus), motif, annotated, unique, multi, overhang."""
    rows = zip(EXON10_INTRONS[build], (skip, downstream, upstream), strict=True)
    return "".join(f"chr3\t{start}\t{end}\t2\t2\t1\t{reads}\t0\t40\n" for (start, end), reads in rows)


def cnvkit_cns(*segments: str) -> str:
    return "\n".join([CNVKIT_COLUMNS, *segments]) + "\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    contents = {
        "relapse.vcf": "\n".join([*MUTECT2_HEADER, C391R]) + "\n",
        "no_crbn.vcf": "\n".join(MUTECT2_HEADER) + "\n",
        "relapse.SJ.out.tab": sj_out_tab(skip=60, downstream=40, upstream=40),
        "low_skip.SJ.out.tab": sj_out_tab(skip=30, downstream=60, upstream=40),
        "no_skip.SJ.out.tab": sj_out_tab(skip=0, downstream=50, upstream=50),
        # CRBN (GRCh38 chr3:3148992-3179710) inside a one-copy segment; CNVkit writes 0-based starts.
        "relapse.cns": cnvkit_cns("chr3\t3000000\t3300000\tCRBN\t-1.0\t1\t100\t50\t30"),
        "two_copies.cns": cnvkit_cns("chr3\t3000000\t3300000\tCRBN\t0.0\t2\t100\t50\t30"),
        "chr7_only.cns": cnvkit_cns("chr7\t50000000\t50500000\tIKZF1\t0\t2\t100\t50\t30"),
    }
    for name, text in contents.items():
        (tmp_path / name).write_text(text)
    return {name: tmp_path / name for name in contents}


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Lenalidomide stopped on 30 June, progression 15 days later: Len-refractory (IMWG: within 60 days)."""
    path = tmp_path / "HISTORY.json"
    line = {
        "line": 1,
        "drugs": ["lenalidomide", "dexamethasone"],
        "start": "2021-02-01",
        "end": "2022-06-30",
        "best_response": "VGPR",
        "progression": "2022-07-15",
    }
    path.write_text(json.dumps([line]))
    return path


def assess_json(*args: Any) -> tuple[dict[str, Any], str]:
    out = StringIO()
    call_command("crbn_assess", *map(str, args), "--json", stdout=out)
    return json.loads(out.getvalue()), out.getvalue()


def refused(*args: Any) -> str:
    with pytest.raises(BadInput) as error:
        call_command("crbn_assess", *map(str, args), "--json", stdout=StringIO())
    return str(error.value)


def calls(document: dict[str, Any]) -> dict[str, str]:
    return {drug: item["call"] for drug, item in document["drugs"].items()}


def classes(document: dict[str, Any]) -> list[str]:
    return sorted(item["class"] for item in document["alterations"])


# ---- generated CRBN-positive files ----------------------------------------------------------------------------


def test_it_gives_the_stable_keys_for_every_drug(files: dict[str, Path]) -> None:
    document, _ = assess_json(files["relapse.vcf"], files["relapse.SJ.out.tab"], files["relapse.cns"])
    assert {"engine_version", "kb_release", "build", "qc", "alterations", "drugs"} <= set(document)
    assert document["kb_release"] and document["kb_source"].startswith("bundled")
    assert document["build"] == "GRCh38"
    assert document["qc"]["status"] in {"pass", "warn", "fail"}
    assert tuple(document["drugs"]) == DRUGS
    assert all(item["call"] in CALLS and isinstance(item["actionable"], bool) for item in document["drugs"].values())
    assert all({"class", "kind", "acquired"} <= set(item) for item in document["alterations"])


def test_zinc_ligand_missense_with_one_copy_lost_is_biallelic_loss_resistant_to_every_agent(
    files: dict[str, Path],
) -> None:
    document, _ = assess_json(
        files["relapse.vcf"], files["relapse.SJ.out.tab"], files["relapse.cns"], "--purity", "0.9"
    )
    # B: C391R; F: copy number 1; E: the two together; G: 60 skip reads of 60 + mean(40, 40) = 0.6 >= 0.40.
    assert classes(document) == ["B", "E", "F", "G"]
    assert calls(document) == dict.fromkeys(DRUGS, "resistance_likely")
    assert not any(item["actionable"] for item in document["drugs"].values())  # no published resistance rate yet
    # For the CELMoDs only biallelic loss predicts resistance: the other classes are "unknown" there.
    assert document["drugs"]["mezigdomide"]["reasons"][0].startswith("one copy lost")
    # No SV file was given, and the class H rule gates negative calls.
    assert document["qc"]["status"] == "warn"
    assert "structural_variants: not provided" in document["qc"]["reasons"]


def test_without_copy_number_the_celmods_are_uncertain_but_lenalidomide_stays_resistant(
    files: dict[str, Path],
) -> None:
    document, _ = assess_json(files["relapse.vcf"], files["relapse.SJ.out.tab"])
    assert classes(document) == ["B", "G"]
    assert calls(document)["lenalidomide"] == "resistance_likely"
    assert calls(document)["mezigdomide"] == "uncertain"


def test_skip_fraction_below_the_reference_point_is_not_class_g(files: dict[str, Path]) -> None:
    # 30 / (30 + mean(60, 40)) = 0.375, under the 0.40 reference point.
    document, _ = assess_json(files["no_crbn.vcf"], files["low_skip.SJ.out.tab"], files["relapse.cns"])
    assert classes(document) == ["F"]
    assert calls(document)["lenalidomide"] == "resistance_possible"


def test_dna_only_input_never_says_no_alteration_for_lenalidomide(files: dict[str, Path]) -> None:
    document, _ = assess_json(files["no_crbn.vcf"])
    assert document["alterations"] == []
    assert calls(document)["lenalidomide"] == "not_assessable"


def test_a_segment_file_that_misses_crbn_leaves_copy_number_unassessed(files: dict[str, Path]) -> None:
    document, _ = assess_json(files["no_crbn.vcf"], files["no_skip.SJ.out.tab"], files["chr7_only.cns"])
    evidence = {item["kind"]: item for item in document["qc"]["evidence"]}
    assert not evidence["copy_number"]["provided"]
    assert any("no segment overlaps CRBN" in text for text in document["warnings"])
    assert calls(document)["mezigdomide"] == "not_assessable"


def test_history_with_progression_within_60_days_of_lenalidomide_makes_it_len_refractory(
    files: dict[str, Path], history: Path
) -> None:
    document, _ = assess_json(files["relapse.vcf"], "--history", history)
    lenalidomide = next(item for item in document["context"]["drugs"] if item["drug"] == "lenalidomide")
    assert (lenalidomide["refractory"], lenalidomide["refractory_line"]) == (True, 1)
    assert document["inputs"]["history"]["name"] == "HISTORY.json"


def test_files_without_a_build_take_the_vcfs_and_every_file_is_described(files: dict[str, Path]) -> None:
    document, _ = assess_json(files["relapse.vcf"], files["relapse.cns"])
    vcf, cns = document["inputs"]["files"]
    assert (vcf["kind"], vcf["dialect"], vcf["tumour_sample"]) == ("small_variants", "Mutect2 VCF", "RELAPSE_BM")
    assert vcf["tumour_sample_reason"] == "##tumor_sample header"
    assert (vcf["records_read"], vcf["records_kept"]) == (1, 1)
    assert len(vcf["sha256"]) == 64
    assert cns["build"] == "GRCh38"
    assert cns["build_evidence"] == "not stated by the file: GRCh38 from the other files"


def test_a_file_that_states_no_build_takes_build(files: dict[str, Path]) -> None:
    document, _ = assess_json(files["relapse.SJ.out.tab"], "--build", "GRCh38")
    assert classes(document) == ["G"]
    assert document["inputs"]["files"][0]["build"] == "GRCh38"


def test_a_baseline_tells_an_acquired_copy_loss_from_a_variant_it_cannot_rule_out(files: dict[str, Path]) -> None:
    document, _ = assess_json(
        files["relapse.vcf"], files["relapse.cns"], "--baseline", files["no_crbn.vcf"], files["two_copies.cns"]
    )
    acquired = {item["class"]: (item["acquired"], item["acquired_reason"]) for item in document["alterations"]}
    assert acquired["F"] == (True, "class F absent at baseline")
    # Offline there is no DNA coverage figure, so the variant's absence at baseline is not trusted.
    assert acquired["B"] == (None, "baseline coverage unknown or below minimum")
    assert [item["name"] for item in document["inputs"]["baseline_files"]] == ["no_crbn.vcf", "two_copies.cns"]


def test_a_baseline_on_another_build_is_read_but_not_compared(files: dict[str, Path], corpus_dir: Path) -> None:
    document, _ = assess_json(files["relapse.vcf"], "--baseline", corpus_dir / MUTECT_EXCERPT)
    assert "baseline is on GRCh37, the sample on GRCh38: not compared" in document["qc"]["reasons"]
    assert next(item for item in document["alterations"])["acquired"] is None


def test_the_same_input_gives_byte_identical_json(files: dict[str, Path], history: Path) -> None:
    args = (files["relapse.vcf"], files["relapse.SJ.out.tab"], files["relapse.cns"], "--history", history)
    assert assess_json(*args)[1] == assess_json(*args)[1]


def test_without_json_it_prints_a_summary_for_lab_staff(files: dict[str, Path], history: Path) -> None:
    out = StringIO()
    call_command(
        "crbn_assess", str(files["relapse.vcf"]), str(files["relapse.cns"]), "--history", str(history), stdout=out
    )
    text = out.getvalue()
    assert "Verdict per drug" in text
    assert "lenalidomide  resistance_likely" in text
    assert "B  small_variant: p.Cys391Arg" in text
    assert "lenalidomide: refractory from line 1" in text
    assert "rna_junctions: not provided" in text
    assert "relapse.vcf: Mutect2 VCF, GRCh38" in text


# ---- the shared corpus ----------------------------------------------------------------------------------------


def test_mutect_crbn_excerpt_gives_a_valid_document(corpus_dir: Path) -> None:
    document, _ = assess_json(corpus_dir / MUTECT_EXCERPT)
    assert document["build"] == "GRCh37"
    assert document["sample"] == "EMN-3661-T2"
    # Every CRBN record was rejected by MuTect and none is annotated: nothing classified, DNA alone decides nothing.
    assert document["alterations"] == []
    assert len(document["unclassified"]) == document["inputs"]["files"][0]["records_kept"] == 26
    assert set(calls(document).values()) == {"not_assessable"}


def test_corpus_files_negative_for_every_gating_kind_give_no_alteration_detected(
    corpus_dir: Path, tmp_path: Path
) -> None:
    junctions = tmp_path / "relapse.SJ.out.tab"
    junctions.write_text(sj_out_tab(skip=0, downstream=50, upstream=50, build="GRCh37"))
    # MuTect DNA (CRBN records all rejected), Manta SVs (none in CRBN), CNVkit cn=2 over CRBN, no exon-10 skipping.
    document, _ = assess_json(
        corpus_dir / MUTECT_EXCERPT, corpus_dir / "sv/HCC2218_manta.vcf", corpus_dir / "cnv/p2-9_2.call.cns", junctions
    )
    assert set(calls(document).values()) == {"no_alteration_detected"}
    assert document["inputs"]["files"][2]["build_evidence"] == "not stated by the file: GRCh37 from the other files"


def test_files_of_two_builds_are_refused_naming_both(files: dict[str, Path], corpus_dir: Path) -> None:
    reason = refused(corpus_dir / MUTECT_EXCERPT, files["relapse.vcf"])
    assert "EMN-3661-G1_EMN-3661-T2_MuTect_SNVs.CRBN_region_excerpt.vcf is GRCh37" in reason
    assert "relapse.vcf is GRCh38" in reason


def test_a_file_that_disagrees_with_build_is_refused(corpus_dir: Path) -> None:
    assert "is GRCh37" in refused(corpus_dir / MUTECT_EXCERPT, "--build", "GRCh38")


def test_multi_sample_vcf_needs_sample(corpus_dir: Path) -> None:
    assert "--sample" in refused(corpus_dir / "vcf/freebayes.vcf")
    document, _ = assess_json(corpus_dir / "vcf/freebayes.vcf", "--sample", "NA12878")
    assert document["inputs"]["files"][0]["tumour_sample"] == "NA12878"


def test_malformed_vcf_is_refused_naming_the_line(corpus_dir: Path) -> None:
    assert refused(corpus_dir / "vcf_malformed/24.vcf").startswith("24.vcf, line 7:")


# ---- bad input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["missing.vcf"], "missing.vcf: cannot read the file"),
        (["relapse.vcf", "--purity", "1.5"], "argument --purity"),
        (["relapse.vcf", "--purity", "0"], "argument --purity"),
        (["relapse.SJ.out.tab"], "cannot tell the genome build"),
        (["relapse.vcf", "relapse.vcf"], "identical contents"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    files: dict[str, Path], tmp_path: Path, args: list[str], expected: str
) -> None:
    resolved = [tmp_path / arg if arg.endswith((".vcf", ".tab")) else arg for arg in args]
    assert expected in refused(*resolved)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[{", "HISTORY.json: not valid JSON"),
        ('{"line": 1}', "must be a JSON list"),
        ('[{"line": 1, "drugs": ["Lenalidomide"]}]', "item 0, key 'drugs': drug names must be lower-case"),
        ('[{"line": 1, "drugs": ["lenalidomide"], "start": "01/02/2021"}]', "item 0, key 'start'"),
    ],
)
def test_bad_history_is_refused_naming_item_and_key(
    files: dict[str, Path], tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "HISTORY.json"
    path.write_text(content)
    assert expected in refused(files["relapse.vcf"], "--history", path)


def test_from_the_command_line_bad_input_exits_2_with_one_line(corpus_dir: Path) -> None:
    completed = run_manage("crbn_assess", str(corpus_dir / "vcf_malformed/24.vcf"), "--json")
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("crbn_assess: 24.vcf, line 7:")


def test_from_the_command_line_a_good_run_exits_0_with_json(files: dict[str, Path]) -> None:
    completed = run_manage("crbn_assess", str(files["relapse.vcf"]), "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["build"] == "GRCh38"


def run_manage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120
    )
