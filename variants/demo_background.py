"""The demo cohort's routine testing: files for the samples the demo stories leave, at published frequencies.
Pure Python, no Django.

SYNTHETIC, like every demo file (variants/demo.py). The stories of variants/demo.py show each alteration class
and each failure once or twice; the registry needs more: most samples tested, as a multi-centre registry's would
be, so its tables and survival curves have numbers worth reading. Here every other sample of a DNA or RNA assay
gets the files its site's pipeline would send, and CRBN alterations are placed so that each cohort shows the
shares Gooding 2021 reported (CRBN.md section 1). Which class stands for each kind of change is the demo's
choice, as are the read counts. The stories come on top and are enriched by design, so the demo's overall rates
run above the published ones.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import replace

from .demo import (
    BASELINE,
    PCR,
    RNA_SEQ,
    WES,
    DemoFile,
    DemoSample,
    Evidence,
    Findings,
    plan_files,
    sample_files,
)

NDMM, LEN_REFRACTORY, POM_REFRACTORY, OTHER_RELAPSE = "ndmm", "len_refractory", "pom_refractory", "other_relapse"
POINT_MUTATION, COPY_LOSS_OR_SV, EXON10_SKIPPING = "point_mutation", "copy_loss_or_sv", "exon10_skipping"

# Gooding 2021 (CRBN.md section 1), share of patients per cohort. Its "-" at diagnosis (none reported) is 0 here.
# CRBN.md gives no figure for relapses refractory to neither drug: the demo assumes the newly diagnosed shares.
PUBLISHED_SHARES = {
    NDMM: {POINT_MUTATION: 0.009, COPY_LOSS_OR_SV: 0.0, EXON10_SKIPPING: 0.0},
    LEN_REFRACTORY: {POINT_MUTATION: 0.022, COPY_LOSS_OR_SV: 0.08, EXON10_SKIPPING: 0.20},
    POM_REFRACTORY: {POINT_MUTATION: 0.09, COPY_LOSS_OR_SV: 0.24, EXON10_SKIPPING: 0.29},
}
PUBLISHED_SHARES[OTHER_RELAPSE] = PUBLISHED_SHARES[NDMM]

# Which change stands for a kind (demo weights, no source). A point mutation at diagnosis is a missense of
# uncertain effect (classes C, D); at relapse any class A-D. Copy loss is mostly of one copy (F), else of both
# (E); breakpoints inside CRBN (H) are left to the stories, the only samples sent with structural-variant calls.
POINT_CHANGES = {BASELINE: {"V388I": 1, "R283H": 1}, "relapse": {"R419*": 2, "C391R": 2, "W386R": 1, "V388I": 2}}
LOSSES = ({"copies": 1, "minor": 0}, {"copies": 0, "minor": 0})
LOSS_WEIGHTS = (3, 1)
MIN_PURITY_FOR_POINT = 0.15  # a subclonal variant must still clear the 5% limit of detection
# Gooding 2021 found shorter survival with a CRBN alteration (CRBN.md section 1). At relapse, a patient who died
# within two years of the sample is this many times as likely to be drawn to carry one: the demo's curves show
# the published direction; the size of the difference is the demo's own.
POOR_OUTCOME_WEIGHT, POOR_OUTCOME_DAYS = 3, 730

# Each site's callers (as in its stories): NBH runs Mutect2 and CNVkit; LCC's exomes go through Strelka2 and FACETS.
DNA_CALLERS = {("LCC", WES): ("strelka2", "facets")}
DEFAULT_DNA_CALLERS = ("mutect2", "cnvkit")
SCENARIO = "routine testing"


def plan_all_files(samples: Sequence[DemoSample], seed: int) -> list[DemoFile]:
    """The stories' files, then routine files for every sample of a patient no story uses, in accession order."""
    stories = plan_files(samples, seed)
    storied = {(item.institution, item.accession) for item in stories}
    patients_in_stories = {(s.institution, s.patient) for s in samples if (s.institution, s.accession) in storied}
    routine = sorted(
        (s for s in samples if (s.institution, s.patient) not in patients_in_stories and evidence_for(s)),
        key=lambda s: (s.institution, s.accession),
    )
    placed = place_alterations(routine, seed)
    return [*stories, *(file for sample in routine for file in _routine_files(sample, placed[sample], seed))]


def evidence_for(sample: DemoSample) -> Evidence | None:
    """What a routine sample is tested with: small variants and copy number from a DNA assay, and STAR junctions
    from RNA-seq, which every relapse sample also gets (the exon-10 question is asked at relapse). PCR results
    are not files. Compact on purpose: no structural-variant calls or salmon quantification (the stories have
    them), so that seeding stays quick."""
    if sample.assay == PCR:
        return None
    if sample.assay == RNA_SEQ:
        return Evidence(rna=True, salmon=False)
    vcf, copy_number = DNA_CALLERS.get((sample.institution, sample.assay), DEFAULT_DNA_CALLERS)
    return Evidence(vcf, copy_number, rna=sample.timepoint != BASELINE, salmon=False)


def cohort(sample: DemoSample) -> str:
    """The registry's cohort of the sample (docs/registry.md): Pom-refractory before Len-refractory."""
    if sample.timepoint == BASELINE:
        return NDMM
    if "pomalidomide" in sample.refractory:
        return POM_REFRACTORY
    return LEN_REFRACTORY if "lenalidomide" in sample.refractory else OTHER_RELAPSE


def can_show(kind: str, sample: DemoSample) -> bool:
    evidence = evidence_for(sample)
    if evidence is None:
        return False
    if kind == POINT_MUTATION:
        return bool(evidence.vcf) and sample.purity >= MIN_PURITY_FOR_POINT
    return bool(evidence.copy_number) if kind == COPY_LOSS_OR_SV else evidence.rna


def place_alterations(samples: Sequence[DemoSample], seed: int) -> dict[DemoSample, set[str]]:
    """Sample -> the kinds of change it carries. In each cohort, of the samples whose files could show a kind,
    the published share (rounded up) carries it; which ones, the seed decides, favouring poor outcomes."""
    placed: dict[DemoSample, set[str]] = {sample: set() for sample in samples}
    for name, shares in PUBLISHED_SHARES.items():
        members = [sample for sample in samples if cohort(sample) == name]
        for kind, share in shares.items():
            eligible = [sample for sample in members if can_show(kind, sample)]
            drawn = _weighted_order(eligible, random.Random(f"variants.demo_background/{seed}/{name}/{kind}"))
            for sample in drawn[: math.ceil(share * len(eligible))]:
                placed[sample].add(kind)
    return placed


def _weighted_order(samples: Sequence[DemoSample], rng: random.Random) -> list[DemoSample]:
    """Weighted sampling without replacement (Efraimidis and Spirakis 2006): the largest u ** (1 / weight) first."""
    keys = {sample: rng.random() ** (1 / _outcome_weight(sample)) for sample in samples}
    return sorted(samples, key=keys.__getitem__, reverse=True)


def _outcome_weight(sample: DemoSample) -> int:
    if sample.timepoint == BASELINE or sample.death is None:
        return 1
    return POOR_OUTCOME_WEIGHT if (sample.death - sample.collected).days <= POOR_OUTCOME_DAYS else 1


def _routine_files(sample: DemoSample, kinds: set[str], seed: int) -> list[DemoFile]:
    evidence = evidence_for(sample)
    if evidence is None:
        return []
    rng = random.Random(f"variants.demo_background/{seed}/{sample.institution}/{sample.accession}")
    return sample_files(rng, sample, routine_findings(rng, sample, kinds), evidence, scenario=SCENARIO)


def routine_findings(rng: random.Random, sample: DemoSample, kinds: set[str]) -> Findings:
    findings = Findings(junctions=_junctions(rng, skipped=EXON10_SKIPPING in kinds))
    if POINT_MUTATION in kinds:
        changes = POINT_CHANGES[BASELINE if sample.timepoint == BASELINE else "relapse"]
        label = rng.choices(list(changes), weights=list(changes.values()))[0]
        # Often subclonal at relapse (CRBN.md section 4): a quarter to a half of the plasma-cell fraction.
        findings = replace(findings, variants=((label, round(sample.purity * rng.uniform(0.25, 0.5), 3)),))
    if COPY_LOSS_OR_SV in kinds:
        findings = replace(findings, **rng.choices(LOSSES, weights=LOSS_WEIGHTS)[0])
    return findings


def _junctions(rng: random.Random, *, skipped: bool) -> tuple[int, int, int]:
    """Exon-10 skip and the two inclusion junctions' reads: a skip fraction of 0.45-0.70 when skipped (above the
    knowledge base's 0.40, a published reference point and not a validated cut-off: CRBN.md section 4), else at
    most a few skip reads; always deep enough to be read (>= 30 reads)."""
    inclusion = rng.randint(45, 90)
    if not skipped:
        return rng.randint(0, 6), inclusion, inclusion + rng.randint(-8, 8)
    fraction = rng.uniform(0.45, 0.7)  # skip / (skip + inclusion), so skip = inclusion * f / (1 - f)
    return round(inclusion * fraction / (1 - fraction)), inclusion, inclusion
