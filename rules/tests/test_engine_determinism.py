"""Determinism, the stable JSON keys of crbn_assess, the trace, and the engine's purity (no Django, no clock)."""

from __future__ import annotations

import ast
import json
import random
from dataclasses import FrozenInstanceError, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest

from rules.engine import (
    AssessmentInput,
    CopyNumberFact,
    Exon10Fact,
    KnowledgeBase,
    Segment,
    StructuralVariantFact,
    TreatmentLineFact,
    assess,
)

from .factories import DRUGS, sample, variant

ENGINE_DIR = Path(__file__).resolve().parent.parent / "engine"


def _rich_input() -> AssessmentInput:
    """A relapse with something of every kind, a baseline and a three-line history."""
    relapse = sample(
        variant(380, pos=3_152_500, vaf=0.3),
        variant(100, "stop_gained", pos=3_175_000, vaf=0.02),
        variant(350, vaf=0.4, filter="LowQual"),
        variant(427, "inframe_deletion"),
        variant(146, gene="IKZF1", key="7:50400000:G>C", transcript="NM_006060.6"),
        copy_number=(
            CopyNumberFact(total_cn=1, segment=Segment("3", 3_100_000, 3_160_000)),
            CopyNumberFact(total_cn=2, segment=Segment("3", 3_160_001, 3_300_000)),
        ),
        structural_variants=(
            StructuralVariantFact("sv2", "INV", "3", 3_170_000, mate_pos=3_400_000),
            StructuralVariantFact("sv1", "BND", "chr3", 3_165_000, mate_chrom="chr8", mate_pos=128_000_000),
        ),
        exon10=Exon10Fact(45, 55, 50),
        collected=date(2022, 7, 20),
    )
    baseline = sample(variant(380, pos=3_152_500, vaf=0.02), name="baseline", collected=date(2021, 1, 15))
    lines = (
        TreatmentLineFact(1, ("lenalidomide", "bortezomib", "dexamethasone"), date(2021, 2, 1), date(2022, 6, 30),
                          "VGPR", date(2022, 7, 15), (("bortezomib", date(2021, 8, 1)),)),
        TreatmentLineFact(2, ("pomalidomide", "dexamethasone"), date(2022, 8, 1), None, "PR", None),
        TreatmentLineFact(0, ("thalidomide",), date(2020, 1, 1), date(2020, 2, 1), "SD", None),
    )  # fmt: skip
    return AssessmentInput(sample=relapse, baseline=baseline, lines=lines)


T = TypeVar("T")


def _shuffled(data: AssessmentInput, seed: int) -> AssessmentInput:
    rng = random.Random(seed)

    def mixed(items: tuple[T, ...]) -> tuple[T, ...]:
        return tuple(rng.sample(items, len(items)))

    relapse = replace(
        data.sample,
        variants=mixed(data.sample.variants),
        copy_number=mixed(data.sample.copy_number),
        structural_variants=mixed(data.sample.structural_variants),
    )
    return replace(data, sample=relapse, lines=mixed(data.lines))


def test_same_input_twice_gives_identical_json(kb: KnowledgeBase) -> None:
    first = assess(_rich_input(), kb).to_dict()
    second = assess(_rich_input(), kb).to_dict()
    assert first == second
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_input_order_does_not_change_the_output(kb: KnowledgeBase) -> None:
    expected = assess(_rich_input(), kb).to_dict()
    for seed in range(5):
        assert assess(_shuffled(_rich_input(), seed), kb).to_dict() == expected


def test_stable_keys_of_crbn_assess_json(kb: KnowledgeBase) -> None:
    data = json.loads(json.dumps(assess(_rich_input(), kb).to_dict()))
    assert data["engine_version"] == "0.1.0"
    assert data["kb_release"] == "2026.11-draft1"
    assert data["build"] == "GRCh38"
    assert data["qc"]["status"] in ("pass", "warn", "fail")
    assert data["alterations"]
    for item in data["alterations"]:
        assert item["class"] in tuple("ABCDEFGHI")
        assert {"kind", "acquired"} <= set(item)
    assert list(data["drugs"]) == list(DRUGS)
    for finding in data["drugs"].values():
        assert finding["call"] in (
            "resistance_likely",
            "resistance_possible",
            "uncertain",
            "no_alteration_detected",
            "not_assessable",
        )
        assert isinstance(finding["actionable"], bool)


def test_rich_input_is_interpreted_as_expected(kb: KnowledgeBase) -> None:
    result = assess(_rich_input(), kb)
    summary = [(item.alteration_class, item.kind, item.acquired, item.flags) for item in result.alterations]
    assert summary == [
        ("A", "small_variant", True, ("below_lod", "subclonal")),
        ("C", "small_variant", True, ("filtered",)),
        ("B", "small_variant", False, ("subclonal",)),  # present at baseline, below its LOD there
        ("F", "copy_number", True, ()),
        ("H", "structural_variant", True, ()),
        ("H", "structural_variant", True, ()),
        ("G", "exon10_skipping", True, ("unvalidated_threshold",)),
        ("E", "biallelic", True, ("subclonal",)),  # the copy loss is new, the second hit pre-existing
    ]
    assert [item.reason for item in result.unclassified] == ["protein-altering at residue 427, outside classes A-D"]
    assert result.other_genes == ("IKZF1 7:50400000:G>C",)
    assert {item.call.value for item in result.drugs} == {"resistance_possible"}
    assert result.drug("lenalidomide").entries[-1] == "other.lenalidomide"
    context = result.context
    assert (context.first_progression_line, context.at_first_progression) == (1, True)
    assert [item.refractory for item in context.drugs] == [False, True, False, None, None]


def test_every_alteration_and_verdict_is_traced(kb: KnowledgeBase) -> None:
    result = assess(_rich_input(), kb)
    rules = [(entry.rule, entry.fact) for entry in result.trace]
    for item in result.alterations:
        if item.kind == "small_variant":
            assert (f"classify.{item.alteration_class}", item.fact) in rules
        assert any(entry.fact == item.id and entry.rule == "drug.contribution" for entry in result.trace)
    assert [entry.fact for entry in result.trace if entry.rule == "drug.select"] == list(DRUGS)
    assert any(entry.fact.startswith("baseline:") for entry in result.trace)
    assert result.trace[0].rule == "qc.evidence"


def test_the_engine_imports_nothing_of_django_or_the_project() -> None:
    for path in sorted(ENGINE_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in {
                    "django",
                    "patients",
                    "variants",
                    "reports",
                    "cohort",
                    "crbn_portal",
                }, (
                    path.name,
                    name,
                )


def test_the_engine_reads_no_clock_and_no_randomness() -> None:
    for path in sorted(ENGINE_DIR.glob("*.py")):
        text = path.read_text()
        for forbidden in ("today(", "now(", "import time", "import random", "uuid"):
            assert forbidden not in text, (path.name, forbidden)


def test_facts_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        sample().purity = 0.1  # type: ignore[misc]
