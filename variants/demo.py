"""Demo laboratory files for the seeded cohort: what each site's pipeline would have sent. Pure Python, no Django.

SYNTHETIC: every record below is made up for the demo and no file comes from a patient. Real: the formats (as
the parsers' tests and the shared corpus show them), the GRCh37/GRCh38 contig lengths, CRBN's exons and exon-10
junctions (variants.crbn, from domain/CRBN.md), the protein residues named (checked against the canonical
Q96SW2 sequence) and the hotspot coordinates of the non-CRBN driver genes. Illustrative only: the genomic
position of each CRBN protein change. CRBN.md could not verify where the CDS starts, so positions follow its
UNVERIFIED ~24-nt 5' UTR estimate: they fall inside a plausible exon but are not known to be the codon, and
their REF bases are not checked against a reference. The engine reads the VEP annotation on NM_016302.4, not
the position.

``plan_files`` decides, from the cohort and the seed alone, which sample gets which file: most scenarios put
evidence on a first-relapse sample of a Len/Pom-exposed patient (where CRBN.md says testing belongs), some add
the patient's baseline or a later relapse, every alteration class A-I appears at each site, several samples
have every evidence kind and nothing found, and each site has one file that fails to parse on purpose.
variants/demo_background.py adds routine testing of the other patients' samples, for the registry.
"""

import gzip
import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from . import crbn
from .crbn import CRBN_EXONS, EXON10_JUNCTIONS, GRCH37, GRCH38

BASELINE, FIRST_RELAPSE, LATER_RELAPSE = "baseline", "first_relapse", "later_relapse"  # Sample.Timepoint
WGS, WES, PANEL, RNA_SEQ, PCR = "wgs", "wes", "panel", "rna_seq", "pcr"  # Sample.Assay
TIMEPOINT_TAG = {BASELINE: "DX", FIRST_RELAPSE: "R1", LATER_RELAPSE: "R2"}

# --- Genomes --------------------------------------------------------------------------------------------------

# Primary-assembly contig lengths (the shared corpus' Mutect2 and TSO500 headers carry the same numbers).
# fmt: off
CONTIG_LENGTHS = {
    GRCH38: (
        248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636, 138394717,
        133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345, 83257441, 80373285,
        58617616, 64444167, 46709983, 50818468, 156040895, 57227415,
    ),
    GRCH37: (
        249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663, 146364022, 141213431,
        135534747, 135006516, 133851895, 115169878, 107349540, 102531392, 90354753, 81195210, 78077248,
        59128983, 63025520, 48129895, 51304566, 155270560, 59373566,
    ),
}
# fmt: on
CHROMOSOMES = (*(str(number) for number in range(1, 23)), "X", "Y")
# GRCh38 sites name contigs chr1...; the GRCh37 site uses the 1000 Genomes b37 reference (1, 2, ...).
CONTIG_PREFIX = {GRCH38: "chr", GRCH37: ""}
REFERENCE = {
    GRCH38: "file:///refs/GRCh38/GRCh38_full_analysis_set_plus_decoy_hla.fa",
    GRCH37: "file:///refs/b37/human_g1k_v37_decoy.fasta",
}
VEP_ASSEMBLY = {GRCH38: "GRCh38.p14", GRCH37: "GRCh37.p13"}


def contig(build: str, chromosome: str) -> str:
    return CONTIG_PREFIX[build] + chromosome


def contig_lengths(build: str) -> dict[str, int]:
    return dict(zip(CHROMOSOMES, CONTIG_LENGTHS[build], strict=True))


# --- CRBN protein changes -------------------------------------------------------------------------------------

UTR5_LENGTH = 24  # CRBN.md section 2: derived from isoform 2's Ala23 loss, UNVERIFIED
COMPLEMENT = str.maketrans("ACGT", "TGCA")


@dataclass(frozen=True)
class CrbnChange:
    """A CRBN change as VEP writes it on NM_016302.4. ``cds_position`` and the c. bases are on the transcript
    (minus strand); the VCF carries their complement."""

    label: str
    alteration_class: str  # what the class rules of CRBN.md section 4 make of it
    cds_position: int
    cds_ref: str
    cds_alt: str
    residue: int
    amino_acids: str  # "C/R"
    hgvs_p: str
    consequence: str
    impact: str

    @property
    def hgvs_c(self) -> str:
        return f"c.{self.cds_position}{self.cds_ref}>{self.cds_alt}"

    def position(self, build: str) -> int:
        return crbn_genomic_position(build, self.cds_position)

    def exon(self, build: str) -> int:
        exon = crbn.crbn_exon_at(build, self.position(build))
        if exon is None:  # a programming error: the UTR estimate always lands in an exon
            raise ValueError(f"{self.label} falls outside CRBN's exons")
        return exon


CRBN_CHANGES = {
    change.label: change
    for change in (
        # Class A: UniProt MUTAGEN R419* (removes 419-442) disrupts function; at or before residue 426.
        CrbnChange("R419*", "A", 1255, "C", "T", 419, "R/*", "p.Arg419Ter", "stop_gained", "HIGH"),
        # Class B: the zinc ligand C391; c.1171T>C = p.Cys391Arg is CRBN.md's c. anchor (Sheereen 2017).
        CrbnChange("C391R", "B", 1171, "T", "C", 391, "C/R", "p.Cys391Arg", "missense_variant", "MODERATE"),
        # Class B: the tri-tryptophan pocket residue W386 (UniProt MUTAGEN W386A).
        CrbnChange("W386R", "B", 1156, "T", "C", 386, "W/R", "p.Trp386Arg", "missense_variant", "MODERATE"),
        # Class C: another TBD residue (318-426), not a ligand or pocket residue.
        CrbnChange("V388I", "C", 1162, "G", "A", 388, "V/I", "p.Val388Ile", "missense_variant", "MODERATE"),
        # Class D: the Lon N-terminal region (81-319).
        CrbnChange("R283H", "D", 848, "G", "A", 283, "R/H", "p.Arg283His", "missense_variant", "MODERATE"),
    )
}


def crbn_genomic_position(build: str, cds_position: int) -> int:
    """Where a CDS base would lie if the 5' UTR were UTR5_LENGTH long (UNVERIFIED: illustrative only). The
    gene is on the minus strand, so transcript position 1 is the last base of exon 1."""
    transcript_position = cds_position + UTR5_LENGTH
    first = 1
    for start, end in CRBN_EXONS[build]:
        length = end - start + 1
        if transcript_position < first + length:
            return end - (transcript_position - first)
        first += length
    raise ValueError(f"c.{cds_position} lies past CRBN's last exon")


# --- Other genes: driver hotspots (outside the kept loci: counted, not stored) and IKZF1 -------------------------


@dataclass(frozen=True)
class OtherVariant:
    gene: str
    chromosome: str
    positions: dict[str, int]  # build -> position
    ref: str
    alt: str
    transcript: str
    exon: str
    hgvs_c: str
    hgvs_p: str
    amino_acids: str
    residue: int
    strand: int
    consequence: str = "missense_variant"
    impact: str = "MODERATE"


DRIVERS = (
    OtherVariant(
        "KRAS", "12", {GRCH37: 25398284, GRCH38: 25245350}, "C", "T", "NM_004985.5", "2/5", "c.35G>A",
        "p.Gly12Asp", "G/D", 12, -1,
    ),
    OtherVariant(
        "KRAS", "12", {GRCH37: 25398281, GRCH38: 25245347}, "C", "T", "NM_004985.5", "2/5", "c.38G>A",
        "p.Gly13Asp", "G/D", 13, -1,
    ),
    OtherVariant(
        "NRAS", "1", {GRCH37: 115256529, GRCH38: 114713908}, "T", "C", "NM_002524.5", "3/7", "c.182A>G",
        "p.Gln61Arg", "Q/R", 61, -1,
    ),
    OtherVariant(
        "BRAF", "7", {GRCH37: 140453136, GRCH38: 140753336}, "A", "T", "NM_004333.6", "15/18", "c.1799T>A",
        "p.Val600Glu", "V/E", 600, -1,
    ),
    OtherVariant(
        "TP53", "17", {GRCH37: 7577120, GRCH38: 7673802}, "C", "T", "NM_000546.6", "8/11", "c.818G>A",
        "p.Arg273His", "R/H", 273, -1,
    ),
)  # fmt: skip
# CRBN.md section 4: IKZF1's degron mutant Q146H is non-degradable. Kept (a pathway gene) and recorded, never
# weighed. Its position is illustrative (inside IKZF1's span) and its c. change is left out: not derivable here.
IKZF1_Q146H = OtherVariant(
    "IKZF1", "7", {GRCH37: 50450255, GRCH38: 50382630}, "G", "C", "NM_006060.6", "", "", "p.Gln146His", "Q/H", 146,
    1,
)  # fmt: skip


# --- What a sample shows, and which files show it -----------------------------------------------------------------

LOW_SKIP = (5, 80, 70)  # skip, inclusion exon 11->10, inclusion exon 10->9: fraction 5 / (5 + 75) = 0.06
HIGH_SKIP = (60, 40, 40)  # 60 / (60 + 40) = 0.60, above the 0.40 reference point
NORMAL_TPM = 24.0
LOW_TPM = 0.9


@dataclass(frozen=True)
class Findings:
    """The CRBN biology of one sample, written into whichever files its evidence provides."""

    variants: tuple[tuple[str, float], ...] = ()  # (CRBN_CHANGES label, VAF)
    copies: int = 2  # CRBN total copy number
    minor: int = 1  # minor-allele copies for allele-specific callers (0 with 2 copies: copy-neutral LOH)
    breakpoint: bool = False  # a structural-variant breakpoint inside CRBN
    junctions: tuple[int, int, int] = LOW_SKIP
    tpm: float = NORMAL_TPM
    ikzf1: bool = False


@dataclass(frozen=True)
class Evidence:
    """The files one sample gets: a small-variant caller, a copy-number caller, Manta, and RNA (STAR + salmon)."""

    vcf: str = ""  # "mutect2" | "strelka2"
    copy_number: str = ""  # "cnvkit" | "facets"
    sv: bool = False
    rna: bool = False  # STAR junctions, and salmon quantification unless ``salmon`` is off
    salmon: bool = True


@dataclass(frozen=True)
class Scenario:
    """One demo story at one site: its first-relapse sample's findings and files, optionally the same
    patient's baseline and later relapse, and optionally a broken file uploaded first."""

    name: str
    findings: Findings
    evidence: Evidence
    assays: tuple[str, ...]  # preferred sample assays; other assays are used when none is left
    baseline: tuple[Findings, Evidence] | None = None
    later: tuple[Findings, Evidence] | None = None
    broken: str = ""  # "truncated_gzip": the lab's first transfer was cut short; "wrong_columns": a bad merge


MUTECT2_CN = Evidence("mutect2", "cnvkit")
FULL_NBH = Evidence("mutect2", "cnvkit", sv=True, rna=True)
RNA = Evidence(rna=True)
DNA_ASSAYS, WGS_FIRST, RNA_FIRST = (WGS, WES, PANEL), (WGS,), (RNA_SEQ,)

SCENARIOS: dict[str, tuple[Scenario, ...]] = {
    "NBH": (
        Scenario(
            "acquired class B beside a pre-existing class D",
            Findings(variants=(("C391R", 0.34), ("R283H", 0.21))),
            MUTECT2_CN,
            WGS_FIRST,
            baseline=(Findings(variants=(("R283H", 0.18),)), Evidence("mutect2")),
        ),
        Scenario("biallelic loss: class A on the remaining copy", Findings((("R419*", 0.71),), copies=1, minor=0),
                 MUTECT2_CN, WGS_FIRST),
        Scenario("homozygous deletion", Findings(copies=0, minor=0), MUTECT2_CN, DNA_ASSAYS),
        Scenario("breakpoint inside CRBN", Findings(breakpoint=True), FULL_NBH, WGS_FIRST),
        Scenario("exon-10 skipping", Findings(junctions=HIGH_SKIP), RNA, RNA_FIRST),
        Scenario("no alteration, every evidence kind", Findings(ikzf1=True), FULL_NBH, WGS_FIRST,
                 baseline=(Findings(), Evidence("mutect2"))),
        Scenario("truncated upload, then the complete file", Findings(), MUTECT2_CN, DNA_ASSAYS,
                 broken="truncated_gzip"),
        Scenario("single-copy loss", Findings(copies=1, minor=0), MUTECT2_CN, (WES, PANEL)),
        Scenario("subclonal class C", Findings(variants=(("V388I", 0.07),)), MUTECT2_CN, DNA_ASSAYS),
        Scenario("low CRBN expression", Findings(tpm=LOW_TPM), RNA, RNA_FIRST),
        Scenario(
            "class B growing from first to later relapse",
            Findings(variants=(("W386R", 0.12),)),
            Evidence("mutect2"),
            DNA_ASSAYS,
            baseline=(Findings(), Evidence("mutect2")),
            later=(Findings((("W386R", 0.46),), copies=1, minor=0), MUTECT2_CN),
        ),
        Scenario("no alteration, every evidence kind", Findings(), FULL_NBH, WGS_FIRST),
        Scenario("no CRBN alteration (DNA)", Findings(), MUTECT2_CN, DNA_ASSAYS),
        Scenario("no CRBN alteration (DNA)", Findings(ikzf1=True), MUTECT2_CN, DNA_ASSAYS),
        Scenario("no CRBN alteration (DNA)", Findings(), MUTECT2_CN, DNA_ASSAYS),
        Scenario("no CRBN alteration (RNA)", Findings(junctions=(3, 64, 58)), RNA, RNA_FIRST),
    ),
    "LCC": (
        Scenario("wrong column count in a merged VCF", Findings(), Evidence(), (PANEL, WES), broken="wrong_columns"),
        Scenario("biallelic loss: class A on the remaining copy", Findings((("R419*", 0.45),), copies=1, minor=0),
                 Evidence("strelka2", "facets"), (WES,)),
        Scenario("class C present at baseline", Findings(variants=(("V388I", 0.38),)), Evidence("mutect2", "cnvkit"),
                 (PANEL, WES), baseline=(Findings(variants=(("V388I", 0.2),)), Evidence("mutect2"))),
        Scenario("acquired class B with copy-neutral LOH", Findings((("C391R", 0.52),), copies=2, minor=0),
                 Evidence("strelka2", "facets"), (WES,), baseline=(Findings(), Evidence("strelka2"))),
        Scenario("class D", Findings(variants=(("R283H", 0.3),)), Evidence("mutect2", "cnvkit"), (PANEL, WES)),
        Scenario("homozygous deletion", Findings(copies=0, minor=0), Evidence("strelka2", "cnvkit"), (PANEL,)),
        Scenario("single-copy loss", Findings(copies=1, minor=0), Evidence("mutect2", "facets"), (WES,)),
        Scenario("exon-10 skipping", Findings(junctions=(48, 52, 44)), RNA, RNA_FIRST),
        Scenario("breakpoint inside CRBN", Findings(breakpoint=True), Evidence("mutect2", "cnvkit", True, True),
                 WGS_FIRST),
        Scenario("low CRBN expression", Findings(tpm=LOW_TPM, junctions=(2, 41, 37)), RNA, RNA_FIRST),
        Scenario("no alteration, every evidence kind", Findings(), Evidence("mutect2", "cnvkit", True, True),
                 WGS_FIRST),
        Scenario("no CRBN alteration (DNA)", Findings(), Evidence("strelka2", "cnvkit"), (PANEL,)),
        Scenario("no CRBN alteration (DNA)", Findings(ikzf1=True), Evidence("mutect2", "facets"), (WES,)),
        Scenario("no CRBN alteration (DNA)", Findings(), Evidence("strelka2", "cnvkit"), (PANEL,)),
        Scenario("no CRBN alteration (RNA)", Findings(junctions=(4, 70, 66)), RNA, RNA_FIRST),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DemoSample:
    """What the planner needs to know of a seeded sample (read from the database by the receiver)."""

    institution: str  # code, e.g. "NBH"
    accession: str
    patient: str  # study ID
    timepoint: str
    assay: str
    build: str
    collected: date
    purity: float  # plasma-cell fraction, 0-1
    imid_exposed: bool  # lenalidomide or pomalidomide given before collection
    t_4_14: bool = False
    refractory: frozenset[str] = frozenset()  # of lenalidomide and pomalidomide, at collection (IMWG)
    death: date | None = None  # the patient's date of death, if recorded


@dataclass(frozen=True)
class DemoFile:
    """One upload: the bytes a lab would send for a sample, and what the demo expects of it."""

    institution: str
    accession: str
    name: str
    content: bytes
    scenario: str
    tumour_sample: str = ""  # the column the lab chooses at upload ("" leaves it to the header)
    broken: bool = False  # meant to fail, with its error on the sample page
    classes: tuple[str, ...] = ()  # alteration classes this file carries the evidence for


# --- Planning -----------------------------------------------------------------------------------------------------


@dataclass
class _Site:
    samples: list[DemoSample]
    used: set[str] = field(default_factory=set)  # patients already given a scenario

    def patient_sample(self, patient: str, timepoint: str) -> DemoSample | None:
        found = [sample for sample in self.samples if sample.patient == patient and sample.timepoint == timepoint]
        return min(found, key=lambda sample: sample.collected) if found else None


def plan_files(samples: Sequence[DemoSample], seed: int) -> list[DemoFile]:
    """Every demo file, in upload order. Deterministic for a seed: samples start in accession order, and each
    site's draw of samples and each scenario's content have their own RNG, so changing one file's content
    moves no story to another sample."""
    files: list[DemoFile] = []
    for code, scenarios in SCENARIOS.items():
        ordered = sorted((sample for sample in samples if sample.institution == code), key=lambda s: s.accession)
        random.Random(f"variants.demo/{seed}/{code}").shuffle(ordered)  # which sample a story lands on
        site = _Site(ordered)
        for number, scenario in enumerate(scenarios):
            chosen = _choose(site, scenario)
            if chosen is not None:
                site.used.add(chosen[0].patient)
                rng = random.Random(f"variants.demo/{seed}/{code}/{number}")
                files += _scenario_files(rng, scenario, *chosen)
    return files


def _choose(site: _Site, scenario: Scenario) -> tuple[DemoSample, DemoSample | None, DemoSample | None] | None:
    """The first unused first-relapse sample of a Len/Pom-exposed patient that has what the scenario needs,
    preferring samples whose assays fit their files (the scenario's assays; DNA assays for a DNA-only file)."""
    candidates = []
    for sample in site.samples:
        if sample.timepoint != FIRST_RELAPSE or not sample.imid_exposed or sample.patient in site.used:
            continue
        baseline = site.patient_sample(sample.patient, BASELINE) if scenario.baseline else None
        later = site.patient_sample(sample.patient, LATER_RELAPSE) if scenario.later else None
        if (scenario.baseline and baseline is None) or (scenario.later and later is None):
            continue
        misfits = (sample.assay not in scenario.assays) + sum(
            other is not None and other.assay not in DNA_ASSAYS for other in (baseline, later)
        )
        candidates.append((misfits, sample, baseline, later))
    if not candidates:
        return None
    _, sample, baseline, later = min(candidates, key=lambda candidate: candidate[0])  # min keeps the first of ties
    return sample, baseline, later


def _scenario_files(
    rng: random.Random, scenario: Scenario, sample: DemoSample, baseline: DemoSample | None, later: DemoSample | None
) -> list[DemoFile]:
    files: list[DemoFile] = []
    if baseline is not None and scenario.baseline is not None:
        files += sample_files(rng, baseline, *scenario.baseline, scenario=scenario.name)
    evidence = scenario.evidence
    if scenario.broken == "truncated_gzip":  # the cut-off transfer, then the whole file sent again
        files += truncated_vcf_and_retry(rng, sample, scenario.findings, scenario.name)
        evidence = replace(evidence, vcf="")
    elif scenario.broken == "wrong_columns":
        files.append(wrong_column_vcf(rng, sample, scenario.name))
    files += sample_files(rng, sample, scenario.findings, evidence, scenario=scenario.name)
    if later is not None and scenario.later is not None:
        files += sample_files(rng, later, *scenario.later, scenario=scenario.name)
    return files


def sample_files(
    rng: random.Random, sample: DemoSample, findings: Findings, evidence: Evidence, *, scenario: str
) -> list[DemoFile]:
    """The files a sample's evidence provides, each generated in the site's dialect."""
    files = []
    if evidence.vcf:
        writer = mutect2_vcf if evidence.vcf == "mutect2" else strelka2_vcf
        text, name = writer(rng, sample, findings), _vcf_name(sample, evidence.vcf)
        content = gzip_bytes(text) if name.endswith(".gz") else text.encode()
        files.append(_file(sample, name, content, scenario, variant_classes(findings)))
    if evidence.copy_number == "cnvkit":
        text = cnvkit_cns(rng, sample, findings)
        files.append(
            _file(sample, f"{sample.accession}.call.cns", text.encode(), scenario, copy_number_classes(findings))
        )
    elif evidence.copy_number == "facets":
        text = facets_cncf(rng, sample, findings)
        name = f"{sample.accession}.facets.cncf.txt"
        files.append(_file(sample, name, text.encode(), scenario, copy_number_classes(findings)))
    if evidence.sv:
        text, tumour = manta_vcf(rng, sample, findings)
        classes = ("H",) if findings.breakpoint else ()
        files.append(_file(sample, f"{sample.accession}.manta.somaticSV.vcf", text.encode(), scenario, classes, tumour))
    if evidence.rna:
        text, classes = star_junctions(rng, sample, findings), ("G",) if exon10_skipped(findings.junctions) else ()
        files.append(_file(sample, f"{sample.accession}.SJ.out.tab", text.encode(), scenario, classes))
    if evidence.rna and evidence.salmon:
        text, classes = salmon_quant(rng, sample, findings), ("I",) if findings.tpm < 1 else ()
        files.append(_file(sample, f"{sample.accession}.quant.sf", text.encode(), scenario, classes))
    return files


def _file(
    sample: DemoSample, name: str, content: bytes, scenario: str, classes: Iterable[str], tumour: str = ""
) -> DemoFile:
    return DemoFile(sample.institution, sample.accession, name, content, scenario, tumour, classes=tuple(classes))


def _vcf_name(sample: DemoSample, caller: str) -> str:
    if caller == "strelka2":
        return f"{sample.accession}.strelka2.somatic.snvs.vep.vcf"
    # The GRCh38 site ships its Mutect2 calls gzip-compressed; the GRCh37 site as plain text.
    return f"{sample.accession}.mutect2.filtered.vep.vcf" + (".gz" if sample.build == GRCH38 else "")


def variant_classes(findings: Findings) -> tuple[str, ...]:
    """Classes A-D from the variants, and E where a class A/B variant meets a single-copy loss."""
    classes = {CRBN_CHANGES[label].alteration_class for label, _ in findings.variants}
    if findings.copies == 1 and classes & {"A", "B"}:
        classes.add("E")
    return tuple(sorted(classes))


def copy_number_classes(findings: Findings) -> tuple[str, ...]:
    if findings.copies == 0:
        return ("E",)
    if findings.copies == 1:
        return ("E", "F") if {"A", "B"} & set(variant_classes(findings)) else ("F",)
    return ()


def exon10_skipped(junctions: tuple[int, int, int]) -> bool:
    """CRBN.md's operational definition: skip / (skip + mean inclusion) at or above the 0.40 reference point,
    read only with at least 30 reads (rules/kb/thresholds.yaml)."""
    skip, downstream, upstream = junctions
    depth = skip + (downstream + upstream) / 2
    return depth >= 30 and skip / depth >= 0.4


def gzip_bytes(text: str) -> bytes:
    """gzip with no timestamp, so the same text always gives the same bytes (and checksum)."""
    return gzip.compress(text.encode(), mtime=0)


# --- Shared pieces of the VCFs --------------------------------------------------------------------------------------

CSQ_FIELDS = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|CDS_position|"
    "Protein_position|Amino_acids|STRAND|SYMBOL_SOURCE|HGNC_ID|CANONICAL"
)
ENTREZ = {"CRBN": "51185", "KRAS": "3845", "NRAS": "4893", "BRAF": "673", "TP53": "7157", "IKZF1": "10320"}
HGNC = {"CRBN": "HGNC:30185", "KRAS": "HGNC:6407", "NRAS": "HGNC:7989", "BRAF": "HGNC:1097", "TP53": "HGNC:11998"}
ISOFORM2 = "NM_001173482.1"


@dataclass(frozen=True)
class Record:
    """A small-variant record before it is written in a caller's dialect."""

    chromosome: str
    pos: int
    ref: str
    alt: str
    vaf: float
    csq: str
    filter: str = "PASS"

    @property
    def order(self) -> tuple[int, int]:
        return CHROMOSOMES.index(self.chromosome), self.pos


def _csq(values: Sequence[str]) -> str:
    return "|".join(values)


def crbn_csq(change: CrbnChange, build: str) -> str:
    """VEP --refseq output: the MANE Select transcript, then isoform 2 (which lacks Ala23: one residue less)."""
    allele, exon = change.cds_alt.translate(COMPLEMENT), f"{change.exon(build)}/11"
    mane = _csq((
        allele, change.consequence, change.impact, "CRBN", ENTREZ["CRBN"], "Transcript", crbn.CANONICAL_TRANSCRIPT,
        "protein_coding", exon, "", f"{crbn.CANONICAL_TRANSCRIPT}:{change.hgvs_c}",
        f"{crbn.CANONICAL_PROTEIN}:{change.hgvs_p}", str(change.cds_position), str(change.residue),
        change.amino_acids, "-1", "EntrezGene", HGNC["CRBN"], "YES",
    ))  # fmt: skip
    shorter_c = f"c.{change.cds_position - 3}{change.cds_ref}>{change.cds_alt}"
    shorter_p = change.hgvs_p.replace(str(change.residue), str(change.residue - 1))
    isoform2 = _csq((
        allele, change.consequence, change.impact, "CRBN", ENTREZ["CRBN"], "Transcript", ISOFORM2, "protein_coding",
        exon, "", f"{ISOFORM2}:{shorter_c}", f"NP_001166953.1:{shorter_p}", str(change.cds_position - 3),
        str(change.residue - 1), change.amino_acids, "-1", "EntrezGene", HGNC["CRBN"], "",
    ))  # fmt: skip
    return f"{mane},{isoform2}"


def other_csq(variant: OtherVariant) -> str:
    hgvs_c = f"{variant.transcript}:{variant.hgvs_c}" if variant.hgvs_c else ""
    return _csq((
        variant.alt, variant.consequence, variant.impact, variant.gene, ENTREZ[variant.gene], "Transcript",
        variant.transcript, "protein_coding", variant.exon, "", hgvs_c, f"{variant.transcript}:{variant.hgvs_p}",
        "", str(variant.residue), variant.amino_acids, str(variant.strand), "EntrezGene", HGNC.get(variant.gene, ""),
        "YES",
    ))  # fmt: skip


def _intergenic_csq(alt: str) -> str:
    return _csq((alt, "intergenic_variant", "MODIFIER", *[""] * 16))


def sample_records(rng: random.Random, sample: DemoSample, findings: Findings, passengers: int) -> list[Record]:
    """The sample's CRBN variants, a driver or two, IKZF1 if present, and intergenic passengers; sorted."""
    build = sample.build
    records = [crbn_record(CRBN_CHANGES[label], vaf, build) for label, vaf in findings.variants]
    drivers = rng.sample(DRIVERS, rng.choice((0, 1, 1, 2)))
    if findings.ikzf1:
        drivers.append(IKZF1_Q146H)
    records += [
        Record(item.chromosome, item.positions[build], item.ref, item.alt, _vaf(rng, sample), other_csq(item))
        for item in drivers
    ]
    records += [_passenger(rng, sample) for _ in range(passengers)]
    return sorted(records, key=lambda record: record.order)


def crbn_record(change: CrbnChange, vaf: float, build: str) -> Record:
    """CRBN is on the minus strand: the VCF carries the complement of the transcript's bases."""
    ref, alt = change.cds_ref.translate(COMPLEMENT), change.cds_alt.translate(COMPLEMENT)
    return Record("3", change.position(build), ref, alt, vaf, crbn_csq(change, build))


def _vaf(rng: random.Random, sample: DemoSample) -> float:
    """A clonal heterozygous variant's VAF is about half the plasma-cell purity."""
    return max(0.06, min(0.95, rng.gauss(sample.purity / 2, 0.05)))


def _passenger(rng: random.Random, sample: DemoSample) -> Record:
    """An intergenic SNV away from every kept locus (so it is counted, not stored)."""
    lengths = contig_lengths(sample.build)
    while True:
        chromosome = rng.choice(CHROMOSOMES[:22])
        pos = rng.randint(1_000_000, lengths[chromosome] - 1_000_000)
        if crbn.gene_at(sample.build, chromosome, pos) is None:
            ref, alt = rng.sample("ACGT", 2)
            vaf = max(0.05, min(0.9, rng.gauss(sample.purity / 2, 0.08)))
            filter_ = "weak_evidence" if rng.random() < 0.15 else "PASS"
            return Record(chromosome, pos, ref, alt, vaf, _intergenic_csq(alt), filter_)


def _depth(rng: random.Random, assay: str) -> int:
    mean = {WGS: 85, WES: 160, PANEL: 620}.get(assay, 120)
    return max(25, round(rng.gauss(mean, mean * 0.15)))


def _file_date(sample: DemoSample, days: int = 9) -> str:
    return (sample.collected + timedelta(days=days)).strftime("%Y%m%d")


def _contig_lines(build: str) -> list[str]:
    return [f"##contig=<ID={contig(build, name)},length={length}>" for name, length in contig_lengths(build).items()]


def _vep_lines(sample: DemoSample) -> list[str]:
    build = sample.build
    when = (sample.collected + timedelta(days=9)).isoformat()
    return [
        f'##VEP="v110" time="{when} 02:14:07" cache="/refs/vep/homo_sapiens_refseq/110_{build}" '
        f'ensembl=110.584a8f3 ensembl-variation=110.d34d25e assembly="{VEP_ASSEMBLY[build]}" refseq="GCF_000001405"',
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
        f'Format: {CSQ_FIELDS}">',
    ]


def names(sample: DemoSample) -> tuple[str, str]:
    """(tumour, matched germline) as the lab's read groups name them: the patient's study ID and the timepoint."""
    return f"{sample.patient}-{TIMEPOINT_TAG[sample.timepoint]}", f"{sample.patient}-GL"


# --- Mutect2 (tumour-normal, VEP-annotated) -------------------------------------------------------------------------

MUTECT2_HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
##FILTER=<ID=clustered_events,Description="Clustered events observed in the tumor">
##FILTER=<ID=germline,Description="Evidence indicates this site is germline, not somatic">
##FILTER=<ID=normal_artifact,Description="artifact_in_normal">
##FILTER=<ID=weak_evidence,Description="Mutation does not meet likelihood threshold">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the order listed">
##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions of alternate alleles in the tumor">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with MQ=255 or with bad mates are filtered)">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##GATKCommandLine=<ID=Mutect2,CommandLine="Mutect2 --normal-sample {normal} --output {accession}.unfiltered.vcf.gz --input {accession}.tumour.bam --input {accession}.normal.bam --reference {reference_path} --germline-resource af-only-gnomad.vcf.gz --panel-of-normals pon.vcf.gz",Version="4.4.0.0",Date="{date}">
##GATKCommandLine=<ID=FilterMutectCalls,CommandLine="FilterMutectCalls --output {accession}.filtered.vcf.gz --variant {accession}.unfiltered.vcf.gz --reference {reference_path}",Version="4.4.0.0",Date="{date}">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth; some reads may have been filtered">
##INFO=<ID=ECNT,Number=1,Type=Integer,Description="Number of events in this haplotype">
##INFO=<ID=NLOD,Number=A,Type=Float,Description="Normal log 10 likelihood ratio of diploid het or hom alt genotypes">
##INFO=<ID=POPAF,Number=A,Type=Float,Description="negative log 10 population allele frequencies of alt alleles">
##INFO=<ID=TLOD,Number=A,Type=Float,Description="Log 10 likelihood ratio score of variant existing versus not existing">
##MutectVersion=2.2
"""  # noqa: E501  (header lines are as long as the caller writes them)


def mutect2_vcf(rng: random.Random, sample: DemoSample, findings: Findings, passengers: int | None = None) -> str:
    tumour, normal = names(sample)
    build = sample.build
    meta = MUTECT2_HEADER.format(
        normal=normal,
        accession=sample.accession,
        reference_path=REFERENCE[build].removeprefix("file://"),
        date=(sample.collected + timedelta(days=8)).strftime("%B %d, %Y 11:02:31 PM GMT").replace(" 0", " "),
    )
    lines = [
        *meta.splitlines(),
        *_contig_lines(build),
        f"##normal_sample={normal}",
        f"##reference={REFERENCE[build]}",
        "##source=FilterMutectCalls",
        "##source=Mutect2",
        f"##tumor_sample={tumour}",
        *_vep_lines(sample),
        "\t".join(("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", normal, tumour)),
    ]
    count = passengers if passengers is not None else rng.randint(6, 14)
    for record in sample_records(rng, sample, findings, count):
        lines.append(_mutect2_record(rng, sample, record))
    return "\n".join(lines) + "\n"


def _mutect2_record(rng: random.Random, sample: DemoSample, record: Record) -> str:
    depth = _depth(rng, sample.assay)
    alt_reads = max(2, round(record.vaf * depth))
    normal_depth = max(20, round(depth * rng.uniform(0.45, 0.7)))
    tlod = alt_reads * 3.1 + rng.uniform(0, 4)
    info = f"DP={depth + normal_depth};ECNT=1;NLOD={normal_depth * 0.3:.2f};POPAF=6.00;TLOD={tlod:.2f};CSQ={record.csq}"
    normal = f"0/0:{normal_depth},0:{1 / (normal_depth + 2):.3f}:{normal_depth}"
    tumour = f"0/1:{depth - alt_reads},{alt_reads}:{alt_reads / depth:.3f}:{depth}"
    fields = (
        contig(sample.build, record.chromosome), str(record.pos), ".", record.ref, record.alt, ".", record.filter,
        info, "GT:AD:AF:DP", normal, tumour,
    )  # fmt: skip
    return "\t".join(fields)


# --- Strelka2 (somatic SNVs, VEP-annotated) -------------------------------------------------------------------------

STRELKA2_HEADER = """##fileformat=VCFv4.1
##FILTER=<ID=PASS,Description="All filters passed">
##fileDate={date}
##source=strelka
##source_version=2.9.10
##cmdline=configureStrelkaSomaticWorkflow.py --normalBam={accession}.normal.bam --tumorBam={accession}.tumour.bam --referenceFasta={reference_path}{exome}
##reference={reference}
{contigs}
##content=strelka somatic snv calls
##priorSomaticSnvRate=0.0001
##INFO=<ID=QSS,Number=1,Type=Integer,Description="Quality score for any somatic snv, ie. for the ALT allele to be present at a significantly different frequency in the tumor and normal">
##INFO=<ID=TQSS,Number=1,Type=Integer,Description="Data tier used to compute QSS">
##INFO=<ID=NT,Number=1,Type=String,Description="Genotype of the normal in all data tiers, as used to classify somatic variants. One of {{ref,het,hom,conflict}}.">
##INFO=<ID=SGT,Number=1,Type=String,Description="Most likely somatic genotype excluding normal noise states">
##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Somatic mutation">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Combined depth across samples">
##INFO=<ID=MQ,Number=1,Type=Float,Description="RMS Mapping Quality">
##INFO=<ID=SomaticEVS,Number=1,Type=Float,Description="Somatic Empirical Variant Score (EVS) expressing the phred-scaled probability of the call being a false positive observation.">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth for tier1 (used+filtered)">
##FORMAT=<ID=FDP,Number=1,Type=Integer,Description="Number of basecalls filtered from original read depth for tier1">
##FORMAT=<ID=AU,Number=2,Type=Integer,Description="Number of 'A' alleles used in tiers 1,2">
##FORMAT=<ID=CU,Number=2,Type=Integer,Description="Number of 'C' alleles used in tiers 1,2">
##FORMAT=<ID=GU,Number=2,Type=Integer,Description="Number of 'G' alleles used in tiers 1,2">
##FORMAT=<ID=TU,Number=2,Type=Integer,Description="Number of 'T' alleles used in tiers 1,2">
##FILTER=<ID=LowEVS,Description="Somatic Empirical Variant Score (SomaticEVS) is below threshold">
##FILTER=<ID=LowDepth,Description="Tumor sample read depth at this locus is below 2">
"""  # noqa: E501


def strelka2_vcf(
    rng: random.Random, sample: DemoSample, findings: Findings, *, drop_tumour_at_crbn: bool = False
) -> str:
    """Strelka2's somatic SNV file: NORMAL then TUMOR columns, tier-1/tier-2 base counts instead of AD/AF."""
    build = sample.build
    meta = STRELKA2_HEADER.format(
        date=_file_date(sample, 8),
        accession=sample.accession,
        reference=REFERENCE[build],
        reference_path=REFERENCE[build].removeprefix("file://"),
        contigs="\n".join(_contig_lines(build)),
        exome="" if sample.assay == WGS else " --exome",
    )
    header = "\t".join(("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", "NORMAL", "TUMOR"))
    lines = [*meta.splitlines(), *_vep_lines(sample), header]
    for record in sample_records(rng, sample, findings, rng.randint(5, 12)):
        text = _strelka2_record(rng, sample, record)
        if drop_tumour_at_crbn and record.chromosome == "3" and crbn.gene_at(build, "3", record.pos) == "CRBN":
            text = text.rsplit("\t", 1)[0]  # the merge step lost the TUMOR column of this record
        lines.append(text)
    return "\n".join(lines) + "\n"


def _strelka2_record(rng: random.Random, sample: DemoSample, record: Record) -> str:
    depth = _depth(rng, sample.assay)
    alt_reads = max(2, round(record.vaf * depth))
    normal_depth = max(20, round(depth * rng.uniform(0.45, 0.7)))
    qss = min(400, alt_reads * 4 + rng.randint(0, 15))
    evs = max(1.0, alt_reads * 0.9 + rng.uniform(0, 6))
    info = (
        f"SOMATIC;QSS={qss};TQSS=1;NT=ref;SGT={record.ref * 2}->{record.ref}{record.alt};DP={depth + normal_depth};"
        f"MQ=60.00;SomaticEVS={evs:.2f};CSQ={record.csq}"
    )
    filter_ = "PASS" if evs >= 7 else "LowEVS"
    normal = _tier_counts(normal_depth, record.ref, {record.ref: normal_depth})
    tumour = _tier_counts(depth, record.ref, {record.ref: depth - alt_reads, record.alt: alt_reads})
    fields = (
        contig(sample.build, record.chromosome), str(record.pos), ".", record.ref, record.alt, ".", filter_, info,
        "DP:FDP:AU:CU:GU:TU", normal, tumour,
    )  # fmt: skip
    return "\t".join(fields)


def _tier_counts(depth: int, ref: str, counts: dict[str, int]) -> str:
    """DP:FDP then each base's tier-1,tier-2 count (tier 2 a little higher: it admits more reads)."""
    bases = [f"{counts.get(base, 0)},{counts.get(base, 0) + (1 if base == ref else 0)}" for base in "ACGT"]
    return ":".join((str(depth), "0", *bases))


# --- Broken files ---------------------------------------------------------------------------------------------------


def truncated_vcf_and_retry(
    rng: random.Random, sample: DemoSample, findings: Findings, scenario: str
) -> list[DemoFile]:
    """A whole-genome Mutect2 file whose first transfer stopped at 60% of its compressed bytes, then the same
    file sent whole. The portal reads the first lines of an upload to recognise it, meets the cut there and
    keeps the file with a failed run naming the line where the data ends."""
    data = gzip_bytes(mutect2_vcf(rng, sample, findings, passengers=900))
    name = f"{sample.accession}.mutect2.filtered.vep.vcf.gz"
    cut = DemoFile(sample.institution, sample.accession, name, data[: len(data) * 6 // 10], scenario, broken=True)
    return [cut, _file(sample, name, data, scenario, variant_classes(findings))]


def wrong_column_vcf(rng: random.Random, sample: DemoSample, scenario: str) -> DemoFile:
    """A Strelka2 file whose CRBN record lost its TUMOR column when the lab merged SNV and indel calls."""
    text = strelka2_vcf(rng, sample, Findings(variants=(("V388I", 0.3),)), drop_tumour_at_crbn=True)
    name = f"{sample.accession}.strelka2.somatic.merged.vep.vcf"
    return DemoFile(sample.institution, sample.accession, name, text.encode(), scenario, broken=True)


# --- Copy number ----------------------------------------------------------------------------------------------------

# 3p around CRBN: a broad single-copy loss of 3p26-3p25 or a focal homozygous deletion, both covering the gene
# in either build (GRCh37 3,190,676-3,221,394; GRCh38 3,148,992-3,179,710).
CRBN_SEGMENT = {
    2: ((60_000, 88_000_000, 2, 1),),
    1: ((60_000, 11_850_000, 1, 0), (11_850_001, 88_000_000, 2, 1)),
    0: ((60_000, 2_954_000, 1, 0), (2_954_001, 3_386_000, 0, 0), (3_386_001, 11_850_000, 1, 0),
        (11_850_001, 88_000_000, 2, 1)),
}  # fmt: skip


@dataclass(frozen=True)
class Segment:
    chromosome: str
    start: int  # 1-based
    end: int
    copies: int
    minor: int

    @property
    def crbn(self) -> bool:
        return self.chromosome == "3" and self.start <= 3_221_394 and self.end >= 3_148_992


def genome_segments(rng: random.Random, sample: DemoSample, findings: Findings) -> list[Segment]:
    """A diploid genome with a few arm-level events (as myeloma has), and chr3 p-arm as the findings say."""
    lengths = contig_lengths(sample.build)
    segments: list[Segment] = []
    for chromosome in CHROMOSOMES[:23]:
        length = lengths[chromosome]
        if chromosome == "3":
            shape = CRBN_SEGMENT[findings.copies]
            if findings.copies == 2 and findings.minor == 0:  # copy-neutral LOH over 3p
                shape = ((60_000, 88_000_000, 2, 0),)
            segments += [Segment("3", *piece) for piece in shape]
            segments.append(Segment("3", 88_000_001, length - 60_000, 2, 1))
            continue
        copies = 2
        if chromosome == "1" and rng.random() < 0.4:  # gain of 1q, common in myeloma
            segments.append(Segment("1", 10_000, 123_400_000, 2, 1))
            segments.append(Segment("1", 123_400_001, length - 10_000, 3, 1))
            continue
        if chromosome == "13" and rng.random() < 0.45:  # monosomy 13
            copies = 1
        segments.append(Segment(chromosome, 10_000, length - 10_000, copies, 0 if copies == 1 else 1))
    return segments


def _observed_log2(rng: random.Random, copies: int, purity: float) -> float:
    """What a tumour with this copy number gives in a sample of this purity, with a little noise; a
    homozygous deletion keeps the normal cells' reads."""
    ratio = (purity * copies + (1 - purity) * 2) / 2
    return math.log2(max(ratio, 0.02)) + rng.gauss(0, 0.02)


def cnvkit_cns(rng: random.Random, sample: DemoSample, findings: Findings) -> str:
    """CNVkit ``call`` output: 0-based starts, purity-corrected integer copy number in ``cn``."""
    lines = ["chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight"]
    per_probe = 10_000 if sample.assay == WGS else 45_000
    for segment in genome_segments(rng, sample, findings):
        probes = max(3, (segment.end - segment.start) // per_probe)
        genes = "IL5RA,TRNT1,CRBN" if segment.crbn else "-"
        log2 = _observed_log2(rng, segment.copies, sample.purity)
        depth = 2**log2 * rng.uniform(38, 44)
        fields = (
            contig(sample.build, segment.chromosome), str(segment.start - 1), str(segment.end), genes, f"{log2:.5f}",
            str(segment.copies), f"{depth:.3f}", str(probes), f"{probes * rng.uniform(0.8, 0.95):.2f}",
        )  # fmt: skip
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def facets_cncf(rng: random.Random, sample: DemoSample, findings: Findings) -> str:
    """FACETS ``cncf`` table: X numbered 23, total (tcn.em) and minor (lcn.em) copy numbers."""
    header = (
        "chrom\tseg\tnum.mark\tnhet\tcnlr.median\tmafR\tsegclust\tcnlr.median.clust\tmafR.clust\tstart\tend\t"
        "cf.em\ttcn.em\tlcn.em"
    )
    lines = [header]
    for number, segment in enumerate(genome_segments(rng, sample, findings), start=1):
        chromosome = "23" if segment.chromosome == "X" else segment.chromosome
        marks = max(20, (segment.end - segment.start) // 60_000)
        log2 = _observed_log2(rng, segment.copies, sample.purity)
        imbalanced = segment.minor == 0 or segment.copies > 2
        maf_r = rng.uniform(0.9, 2.4) if imbalanced else rng.uniform(0.0, 0.05)
        cellular = f"{sample.purity:.3f}" if (segment.copies, segment.minor) != (2, 1) else "1"
        fields = (
            chromosome, str(number), str(marks), str(marks // 9), f"{log2:.4f}", f"{maf_r:.4f}", str(number % 7 + 1),
            f"{log2:.4f}", f"{maf_r:.4f}", str(segment.start), str(segment.end), cellular, str(segment.copies),
            str(segment.minor) if segment.copies else "0",
        )  # fmt: skip
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


# --- Structural variants (Manta somatic) ------------------------------------------------------------------------------

MANTA_HEADER = """##fileformat=VCFv4.1
##fileDate={date}
##source=GenerateSVCandidates 1.6.0
##reference={reference}
{contigs}
##INFO=<ID=IMPRECISE,Number=0,Type=Flag,Description="Imprecise structural variation">
##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">
##INFO=<ID=SVLEN,Number=.,Type=Integer,Description="Difference in length between REF and ALT alleles">
##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant described in this record">
##INFO=<ID=CIPOS,Number=2,Type=Integer,Description="Confidence interval around POS">
##INFO=<ID=MATEID,Number=.,Type=String,Description="ID of mate breakend">
##INFO=<ID=SOMATIC,Number=0,Type=Flag,Description="Somatic mutation">
##INFO=<ID=SOMATICSCORE,Number=1,Type=Integer,Description="Somatic variant quality score">
##FORMAT=<ID=PR,Number=.,Type=Integer,Description="Spanning paired-read support for the ref and alt alleles in the order listed">
##FORMAT=<ID=SR,Number=.,Type=Integer,Description="Split reads for the ref and alt alleles in the order listed, for reads where P(allele|read)>0.999">
##FILTER=<ID=MinSomaticScore,Description="Somatic score is less than 30">
##ALT=<ID=DEL,Description="Deletion">
##ALT=<ID=DUP:TANDEM,Description="Tandem Duplication">
##ALT=<ID=INV,Description="Inversion">
##cmdline=configManta.py --normalBam={accession}.normal.bam --tumorBam={accession}.tumour.bam --referenceFasta={reference_path}
"""  # noqa: E501

# Breakends of the demo's rearrangements. CRBN: inside intron 5 (between exons 5 and 6) in either build; its
# partner is an arbitrary synthetic locus. t(4;14): NSD2 on 4p16.3 joined to the IGH constant region on 14q32.33
# (positions inside both loci, illustrative).
CRBN_BREAKEND = {GRCH38: 3_160_000, GRCH37: 3_201_684}
CRBN_PARTNER = ("12", {GRCH38: 6_701_250, GRCH37: 6_810_416})
T_4_14 = (("4", {GRCH38: 1_905_112, GRCH37: 1_906_839}), ("14", {GRCH38: 105_861_540, GRCH37: 106_327_877}))


@dataclass(frozen=True)
class SvRecord:
    chromosome: str
    pos: int
    fields: tuple[str, ...]  # ID onwards, without FORMAT and sample columns
    support: tuple[int, int]  # paired reads, split reads supporting the event in the tumour

    @property
    def order(self) -> tuple[int, int]:
        return CHROMOSOMES.index(self.chromosome), self.pos


def manta_vcf(rng: random.Random, sample: DemoSample, findings: Findings) -> tuple[str, str]:
    """Manta's somaticSV.vcf with NORMAL then TUMOUR columns; the lab names the tumour column at upload
    (Manta writes no ##tumor_sample line). Returns (text, tumour column)."""
    build = sample.build
    tumour, normal = names(sample)
    meta = MANTA_HEADER.format(
        date=_file_date(sample, 10),
        reference=REFERENCE[build],
        reference_path=REFERENCE[build].removeprefix("file://"),
        contigs="\n".join(_contig_lines(build)),
        accession=sample.accession,
    )
    records = _deletions(rng, sample)
    event = 1
    if findings.breakpoint:
        records += _breakend_pair(
            rng, build, event, ("3", CRBN_BREAKEND[build]), (CRBN_PARTNER[0], CRBN_PARTNER[1][build])
        )
        event += 1
    if sample.t_4_14:
        (chrom_a, at_a), (chrom_b, at_b) = T_4_14
        records += _breakend_pair(rng, build, event, (chrom_a, at_a[build]), (chrom_b, at_b[build]))
    header = "\t".join(("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", normal, tumour))
    lines = [*meta.splitlines(), header]
    for record in sorted(records, key=lambda item: item.order):
        pairs, splits = record.support
        normal_column = f"{rng.randint(25, 45)},0:{rng.randint(20, 40)},0"
        tumour_column = f"{rng.randint(20, 40)},{pairs}:{rng.randint(15, 35)},{splits}"
        lines.append(
            "\t".join((contig(build, record.chromosome), str(record.pos), *record.fields, "PR:SR", normal_column,
                       tumour_column))
        )  # fmt: skip
    return "\n".join(lines) + "\n", tumour


def _deletions(rng: random.Random, sample: DemoSample) -> list[SvRecord]:
    """A few somatic deletions away from every kept locus."""
    lengths, found = contig_lengths(sample.build), []
    while len(found) < rng.randint(2, 4):
        chromosome = rng.choice(CHROMOSOMES[:22])
        pos = rng.randint(2_000_000, lengths[chromosome] - 2_000_000)
        size = rng.randint(800, 60_000)
        if any(crbn.gene_at(sample.build, chromosome, at) for at in (pos, pos + size // 2, pos + size)):
            continue
        score = rng.randint(35, 180)
        info = f"END={pos + size};SVTYPE=DEL;SVLEN=-{size};SOMATIC;SOMATICSCORE={score}"
        number = len(found) + 1
        fields = (f"MantaDEL:{number}:0:1:0:0:0", rng.choice("ACGT"), "<DEL>", ".", "PASS", info)
        found.append(SvRecord(chromosome, pos, fields, (rng.randint(6, 30), rng.randint(4, 25))))
    return found


def _breakend_pair(
    rng: random.Random, build: str, event: int, here: tuple[str, int], there: tuple[str, int]
) -> list[SvRecord]:
    """A translocation as Manta writes it: two BND records naming each other (MATEID) and each other's position."""
    support = (rng.randint(8, 30), rng.randint(6, 28))
    score = rng.randint(60, 200)
    ids = (f"MantaBND:{event}:0:1:0:0:0:0", f"MantaBND:{event}:0:1:0:0:0:1")
    records = []
    for (chromosome, pos), (mate_chromosome, mate_pos), own, mate in ((here, there, *ids), (there, here, *ids[::-1])):
        base = rng.choice("ACGT")
        alt = f"{base}[{contig(build, mate_chromosome)}:{mate_pos}["
        info = f"SVTYPE=BND;MATEID={mate};CIPOS=0,1;SOMATIC;SOMATICSCORE={score}"
        records.append(SvRecord(chromosome, pos, (own, base, alt, ".", "PASS", info), support))
    return records


# --- RNA: STAR junctions and salmon ---------------------------------------------------------------------------------


def crbn_introns(build: str) -> list[tuple[int, int]]:
    """Consecutive-exon introns of CRBN (first and last intronic base), low coordinates first."""
    exons = sorted(CRBN_EXONS[build])
    return [(left[1] + 1, right[0] - 1) for left, right in itertools.pairwise(exons)]


def star_junctions(rng: random.Random, sample: DemoSample, findings: Findings) -> str:
    """STAR's SJ.out.tab: chromosome, first and last intronic base, strand (2 = minus), motif (2 = CT/AC, the
    minus-strand GT/AG), annotated, unique reads, multi-mapping reads, maximum overhang."""
    build = sample.build
    skip, downstream, upstream = findings.junctions
    junctions = EXON10_JUNCTIONS[build]
    scale = max(0.05, findings.tpm / NORMAL_TPM)
    rows: list[tuple[str, int, int, str, int]] = []
    for intron in crbn_introns(build):
        reads = {junctions.inclusion_downstream: downstream, junctions.inclusion_upstream: upstream}.get(intron)
        rows.append(("3", *intron, "2", reads if reads is not None else round(rng.uniform(55, 95) * scale)))
    rows.append(("3", *junctions.skip, "2", skip))
    rows += _other_junctions(rng, build)
    lines = []
    for chromosome, start, end, strand, reads in sorted(rows, key=lambda row: (CHROMOSOMES.index(row[0]), row[1:3])):
        annotated = "0" if (start, end) == junctions.skip else "1"  # not claimed as an annotated isoform
        multi, overhang = rng.randint(0, 3), rng.randint(30, 75) if reads else 0
        # The motif follows the strand: 1 = GT/AG on the plus strand, 2 = its reverse complement CT/AC.
        fields = (contig(build, chromosome), start, end, strand, strand, annotated, reads, multi, overhang)
        lines.append("\t".join(str(value) for value in fields))
    return "\n".join(lines) + "\n"


def _other_junctions(rng: random.Random, build: str) -> list[tuple[str, int, int, str, int]]:
    """Junctions of other genes (not kept): what the rest of a real SJ.out.tab holds, far fewer of them."""
    lengths, rows = contig_lengths(build), []
    while len(rows) < 40:
        chromosome = rng.choice(CHROMOSOMES[:22])
        start = rng.randint(1_000_000, lengths[chromosome] - 1_000_000)
        end = start + rng.randint(80, 40_000)
        if crbn.gene_at(build, chromosome, start) or crbn.gene_at(build, chromosome, end):
            continue
        rows.append((chromosome, start, end, rng.choice("12"), rng.randint(1, 400)))
    return rows


# GENCODE transcriptome names, as salmon writes them when indexed without --gencode. CRBN's IDs are CRBN.md's;
# the other genes' transcript IDs and versions are illustrative.
SALMON_TRANSCRIPTS = (
    ("ENST00000231948.9|ENSG00000113851.15|-|-|CRBN-201|CRBN|2206|protein_coding|", 2206, 0.74),
    ("ENST00000432408.6|ENSG00000113851.15|-|-|CRBN-202|CRBN|2203|protein_coding|", 2203, 0.26),
    ("ENST00000331340.8|ENSG00000185811.20|-|-|IKZF1-201|IKZF1|5847|protein_coding|", 5847, None),
    ("ENST00000346667.8|ENSG00000161405.17|-|-|IKZF3-201|IKZF3|9380|protein_coding|", 9380, None),
    ("ENST00000380956.9|ENSG00000137265.15|-|-|IRF4-201|IRF4|5385|protein_coding|", 5385, None),
    ("ENST00000621592.8|ENSG00000136997.21|-|-|MYC-206|MYC|3721|protein_coding|", 3721, None),
    ("ENST00000229239.10|ENSG00000111640.15|-|-|GAPDH-201|GAPDH|1875|protein_coding|", 1875, None),
    ("ENST00000646664.1|ENSG00000075624.17|-|-|ACTB-217|ACTB|1812|protein_coding|", 1812, None),
    ("ENST00000216037.10|ENSG00000100219.17|-|-|XBP1-201|XBP1|1831|protein_coding|", 1831, None),
    ("ENST00000254351.9|ENSG00000115884.11|-|-|SDC1-201|SDC1|3303|protein_coding|", 3303, None),
    ("ENST00000648006.3|ENSG00000166710.22|-|-|B2M-213|B2M|987|protein_coding|", 987, None),
)
OTHER_TPM = {"IKZF1": 31.0, "IKZF3": 44.0, "IRF4": 390.0, "MYC": 85.0, "GAPDH": 2100.0, "ACTB": 1650.0}
OTHER_TPM |= {"XBP1": 980.0, "SDC1": 510.0, "B2M": 4300.0}


def salmon_quant(rng: random.Random, sample: DemoSample, findings: Findings) -> str:
    """salmon quant.sf: Name, Length, EffectiveLength, TPM, NumReads."""
    lines = ["Name\tLength\tEffectiveLength\tTPM\tNumReads"]
    for name, length, crbn_share in SALMON_TRANSCRIPTS:
        gene = name.split("|")[5]
        tpm = findings.tpm * crbn_share if crbn_share is not None else OTHER_TPM[gene] * rng.uniform(0.7, 1.3)
        effective = length - rng.uniform(170, 190)
        reads = tpm * effective / 1000 * rng.uniform(8, 11)
        lines.append(f"{name}\t{length}\t{effective:.3f}\t{tpm:.6f}\t{reads:.3f}")
    return "\n".join(lines) + "\n"


# --- Summary helpers ------------------------------------------------------------------------------------------------


def classes_covered(files: Iterable[DemoFile]) -> set[str]:
    return {letter for item in files if not item.broken for letter in item.classes}
