"""How long activating a knowledge-base release takes: every sample with results assessed again, as the worker does.

    .venv/bin/python bench/assess.py [--samples 10000] [--database-url postgres://postgres@127.0.0.1:5432/crbn_bench]

Builds a scratch database (SQLite in a temp CRBN_VAR_DIR, or a PostgreSQL database it creates and drops), fills it
with the demo cohort's patients, treatment lines and samples and with stored fact rows of a realistic mix, activates
a first release, then activates an edited draft. Each activation's re-assessment runs in its own child process,
through the service the Celery task calls, so that its peak memory (VmHWM) is its own. Not a test: the suite never
runs it.
"""

import argparse
import cProfile
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS, TARGET_SAMPLES = 20.0, 10_000
BATCH = 2_000  # objects per bulk_create batch (Django lowers it to SQLite's 999 parameters a statement)
SINGLE_RUNS = 20
CRBN_ALTERED = 0.30  # share of samples with results that carry a CRBN alteration
# CRBN alterations by how often the bench draws them, and the evidence kind each one needs.
ALTERATIONS = {
    "variant": (40, "dna"),
    "single_copy_loss": (15, "cn"),
    "homozygous_deletion": (8, "cn"),
    "variant_on_last_copy": (10, "dna+cn"),
    "breakpoint": (5, "sv"),
    "exon10_skipping": (12, "rna"),
    "low_expression": (10, "rna"),
}


# ---- the scratch database -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scratch:
    var_dir: Path
    database_url: str  # "" for the SQLite file in var_dir
    postgres: dict | None  # the parsed URL of a database this run created, to drop at the end

    @property
    def label(self) -> str:
        return f"PostgreSQL database {self.postgres['NAME']}" if self.postgres else "SQLite file in a temp dir"


def open_scratch(database_url: str) -> Scratch:
    """A temp CRBN_VAR_DIR (secret key, Celery folders, SQLite) and, for PostgreSQL, a new database. The
    environment is set before Django starts, and the child processes inherit it."""
    postgres = create_postgres_database(database_url) if database_url else None
    var_dir = Path(tempfile.mkdtemp(prefix="crbn-bench-assess-"))
    os.environ["CRBN_VAR_DIR"] = str(var_dir)
    # As a worker runs in production: with DEBUG on, Django keeps the text of every query it runs (9,000 of them,
    # each bulk insert with its JSON), which costs a worker time and memory it never spends in production.
    os.environ["DEBUG"] = "off"
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    return Scratch(var_dir, database_url, postgres)


def create_postgres_database(url: str) -> dict:
    """Create the named database. One that exists is refused, never reused: the benchmark drops its database
    when done, and must not drop one it did not make."""
    import environ

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"--database-url: only PostgreSQL is supported, not {config['ENGINE']}")
    with maintenance_cursor(config) as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone():
            raise SystemExit(f"Database {config['NAME']} exists: drop it or name another (the bench drops its own).")
        cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    return config


def close_scratch(scratch: Scratch) -> None:
    from django.db import connections

    connections.close_all()
    if scratch.postgres:
        with maintenance_cursor(scratch.postgres) as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch.postgres["NAME"]}"')
    shutil.rmtree(scratch.var_dir, ignore_errors=True)


@contextmanager
def maintenance_cursor(config: dict) -> Iterator[Any]:
    """A cursor on the server's postgres database, in autocommit (CREATE/DROP DATABASE refuse a transaction)."""
    import psycopg2

    keys = {"HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
    params = {name: config[key] for key, name in keys.items() if config.get(key)}
    connection = psycopg2.connect(dbname="postgres", **params)
    connection.autocommit = True
    try:
        yield connection.cursor()
    finally:
        connection.close()


def start_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crbn_portal.settings")
    import django

    django.setup()


# ---- the cohort: patients, lines and samples from the demo generator, fact rows built here ---------------------


@dataclass(frozen=True)
class Plan:
    """What one sample's files hold: the evidence kinds provided and the CRBN alteration (or "")."""

    dna: bool
    cn: bool
    sv: bool
    rna: bool
    alteration: str


@dataclass
class Cohort:
    patients: int
    lines: int
    samples: int
    assessed: int
    plans: dict[int, Plan]
    files: int = 0
    rows: int = 0


def build_cohort(samples: int, seed: int) -> Cohort:
    """The demo's patients, treatment lines and samples (bulk inserts, realistic histories), enough of them that
    ``samples`` can be given results; the rest keep none, as samples waiting for their files do."""
    from django.db import transaction

    from patients import demo
    from patients.models import Patient, Sample, TreatmentLine

    # The demo gives about 1.65 samples a patient; 1.3 leaves a margin of samples without results.
    per_institution = math.ceil(samples / 1.3 / len(demo.SITES)) + 5
    with transaction.atomic():
        demo.seed_demo(seed=seed, patients_per_institution=per_institution)
    rng = random.Random(seed)
    chosen = sorted(rng.sample(list(Sample.objects.values_list("pk", flat=True)), samples))
    rows = list(Sample.objects.filter(pk__in=chosen).values("pk", "timepoint", "assay", "genome_build", "purity_pct"))
    plans = {row["pk"]: plan(rng, row) for row in rows}
    cohort = Cohort(Patient.objects.count(), TreatmentLine.objects.count(), Sample.objects.count(), samples, plans)
    with transaction.atomic():
        store_files(rng, cohort, {row["pk"]: row for row in rows})
    return cohort


def plan(rng: random.Random, sample: dict) -> Plan:
    """Most samples have DNA and copy number, half RNA; an RNA-seq sample has mostly RNA alone. A baseline is
    rarely altered in CRBN (the alterations are acquired under IMiD pressure)."""
    rna_only = sample["assay"] == "rna_seq"
    dna = not rna_only or rng.random() < 0.15
    cn = dna and rng.random() < 0.92
    sv = dna and sample["assay"] == "wgs" and rng.random() < 0.6
    rna = rna_only or rng.random() < 0.42
    # About half the samples are baselines: a third of the share there, the rest at relapse, about 30% overall.
    share = CRBN_ALTERED / 3 if sample["timepoint"] == "baseline" else CRBN_ALTERED * 5 / 3
    alteration = _alteration(rng, {"dna": dna, "cn": cn, "sv": sv, "rna": rna}) if rng.random() < share else ""
    return Plan(dna, cn, sv, rna, alteration)


def _alteration(rng: random.Random, provided: dict[str, bool]) -> str:
    names = [name for name, (_, needs) in ALTERATIONS.items() if all(provided[kind] for kind in needs.split("+"))]
    return rng.choices(names, weights=[ALTERATIONS[name][0] for name in names])[0] if names else ""


def store_files(rng: random.Random, cohort: Cohort, samples: dict[int, dict]) -> None:
    """One file per evidence kind, each with a succeeded parse run (some after a failed one), and a few uploads
    whose only run failed; then the rows each file's parse would have stored."""
    from variants.models import ParseRun, VariantFile

    made = [(sample_id, kind) for sample_id, item in cohort.plans.items() for kind in kinds(item)]
    files = VariantFile.objects.bulk_create((variant_file(sample_id, kind) for sample_id, kind in made), BATCH)
    broken = [variant_file(sample_id, "small_variants") for sample_id in cohort.plans if rng.random() < 0.01]
    VariantFile.objects.bulk_create(broken, BATCH)
    runs = [run for item in files for run in parse_runs(rng, item)]
    runs += [ParseRun(file=item, status=ParseRun.Status.FAILED, error="truncated gzip") for item in broken]
    ParseRun.objects.bulk_create(runs, BATCH)
    cohort.files = len(files) + len(broken)
    for model, batch in fact_rows(rng, files, cohort.plans, samples):
        model.objects.bulk_create(batch, BATCH)
        cohort.rows += len(batch)


def kinds(item: Plan) -> list[str]:
    wanted = {"small_variants": item.dna, "copy_number": item.cn, "structural_variants": item.sv}
    wanted |= {"junctions": item.rna, "expression": item.rna}
    return [kind for kind, given in wanted.items() if given]


DIALECTS = {
    "small_variants": ("Mutect2 VCF", ".mutect2.filtered.vep.vcf.gz"),
    "copy_number": ("CNVkit .cns", ".call.cns"),
    "structural_variants": ("Manta SV VCF", ".manta.somaticSV.vcf"),
    "junctions": ("STAR SJ.out.tab", ".SJ.out.tab"),
    "expression": ("salmon quant.sf", ".quant.sf"),
}


def variant_file(sample_id: int, kind: str):  # type: ignore[no-untyped-def]
    from variants.models import VariantFile

    dialect, suffix = DIALECTS[kind]
    name = uuid.uuid4()
    return VariantFile(
        sample_id=sample_id,
        stored=f"variant_files/bench/{name}{suffix}",  # never read: the assessment reads the stored rows
        original_name=f"S{sample_id}{suffix}",
        sha256=name.hex * 2,
        size=1,
        kind=kind,
        dialect=dialect,
        confirmed=True,
    )


def parse_runs(rng: random.Random, item) -> list:  # type: ignore[no-untyped-def]
    """A succeeded run; 3% of files were re-parsed after a failed first attempt (the latest run counts)."""
    from variants.models import ParseRun

    runs = [ParseRun(file=item, status=ParseRun.Status.FAILED, error="worker lost")] if rng.random() < 0.03 else []
    return [*runs, ParseRun(file=item, status=ParseRun.Status.SUCCEEDED, records_read=1, records_kept=1)]


def fact_rows(rng: random.Random, files: list, plans: dict[int, Plan], samples: dict[int, dict]) -> Iterator:
    """(model, rows) per kind of fact, every file's rows together."""
    from variants import models as stored

    builders: dict[str, tuple[type, Callable]] = {
        "small_variants": (stored.SmallVariant, small_variants),
        "copy_number": (stored.CopyNumberSegment, segments),
        "structural_variants": (stored.StructuralVariant, structural_variants),
        "junctions": (stored.SpliceJunction, junctions),
        "expression": (stored.Expression, expression),
    }
    for kind, (model, build_rows) in builders.items():
        rows = []
        for item in (item for item in files if item.kind == kind):
            sample = samples[item.sample_id]
            for line, values in enumerate(build_rows(rng, sample, plans[item.sample_id]), start=2):
                rows.append(model(sample_id=item.sample_id, source_file_id=item.pk, line=line, **values))
        yield model, rows


# ---- fact rows as the parsers store them (values modelled on the demo files' parsed rows) --------------------


def small_variants(rng: random.Random, sample: dict, item: Plan) -> list[dict]:
    """The CRBN change, if any, and 0-2 passengers in the other kept genes (intronic, some filtered)."""
    from variants import demo

    build, purity = sample["genome_build"], float(sample["purity_pct"] or 50) / 100
    rows = []
    if item.alteration in ("variant", "variant_on_last_copy"):
        change = rng.choice(list(demo.CRBN_CHANGES.values()))
        clonal = purity if item.alteration == "variant_on_last_copy" else purity / 2
        rows.append(crbn_variant(rng, change, build, max(0.04, min(0.95, rng.gauss(clonal, 0.05)))))
    if rng.random() < 0.04:
        rows.append(other_variant(rng, demo.IKZF1_Q146H, build))
    rows += [passenger(rng, build) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
    return rows


def crbn_variant(rng: random.Random, change, build: str, vaf: float) -> dict:  # type: ignore[no-untyped-def]
    from variants import demo

    depth = rng.randint(60, 800)
    return {
        "gene": "CRBN", "chrom": "3", "pos": change.position(build), "filter": "PASS",
        "ref": change.cds_ref.translate(demo.COMPLEMENT), "alt": change.cds_alt.translate(demo.COMPLEMENT),
        "vaf": round(vaf, 3), "vaf_source": "AF", "depth": depth, "alt_count": round(depth * vaf),
        "transcript": "NM_016302.4", "hgvs_c": change.hgvs_c, "hgvs_p": change.hgvs_p,
        "consequence": change.consequence, "exon": change.exon(build), "protein_position": change.residue,
        "normal_alt_count": 0,
    }  # fmt: skip


def other_variant(rng: random.Random, variant, build: str) -> dict:  # type: ignore[no-untyped-def]
    depth, vaf = rng.randint(40, 300), round(rng.uniform(0.1, 0.45), 3)
    return {
        "gene": variant.gene, "chrom": variant.chromosome, "pos": variant.positions[build], "ref": variant.ref,
        "alt": variant.alt, "filter": "PASS", "vaf": vaf, "vaf_source": "AF", "depth": depth,
        "alt_count": round(depth * vaf), "transcript": variant.transcript, "hgvs_p": variant.hgvs_p,
        "consequence": variant.consequence, "protein_position": variant.residue, "normal_alt_count": 0,
    }  # fmt: skip


def passenger(rng: random.Random, build: str) -> dict:
    from variants import crbn

    gene = rng.choice([name for name in crbn.PATHWAY_GENES if name != "CRBN"])
    span = crbn.PATHWAY_GENES[gene][build]
    ref, alt = rng.sample("ACGT", 2)
    depth, vaf = rng.randint(20, 200), round(rng.uniform(0.05, 0.5), 3)
    return {
        "gene": gene, "chrom": span.chrom, "pos": rng.randint(span.start, span.end), "ref": ref, "alt": alt,
        "filter": rng.choice(("PASS", "PASS", "weak_evidence")), "vaf": vaf, "vaf_source": "AF", "depth": depth,
        "alt_count": round(depth * vaf), "consequence": "intron_variant", "normal_alt_count": rng.randint(0, 1),
    }  # fmt: skip


def segments(rng: random.Random, sample: dict, item: Plan) -> list[dict]:
    """CNVkit calls, one row per kept gene (the parser stores a segment once for each gene it overlaps): arm-
    or chromosome-level, diploid unless the plan loses CRBN (focal) or 13 is monosomic, as in myeloma."""
    from variants import crbn, demo

    build, purity = sample["genome_build"], float(sample["purity_pct"] or 50) / 100
    lengths = demo.contig_lengths(build)
    lost = {"single_copy_loss": 1, "variant_on_last_copy": 1, "homozygous_deletion": 0}.get(item.alteration)
    monosomy_13 = rng.random() < 0.45
    rows = []
    for gene, spans in crbn.PATHWAY_GENES.items():
        chrom = spans[build].chrom
        start, end, copies = 10_000, lengths[chrom] - 10_000, 1 if chrom == "13" and monosomy_13 else 2
        if gene == "CRBN":
            start, end, copies = (2_954_001, 3_386_000, lost) if lost is not None else (60_000, 88_000_000, 2)
        rows.append(segment(rng, gene, chrom, start, end, copies, purity))
    return rows


def segment(rng: random.Random, gene: str, chrom: str, start: int, end: int, copies: int, purity: float) -> dict:
    ratio = (purity * copies + (1 - purity) * 2) / 2
    log2 = round(math.log2(max(ratio, 0.02)) + rng.gauss(0, 0.02), 5)
    return {
        "gene": gene, "chrom": chrom, "start": start, "end": end, "copy_number": float(copies), "log2_ratio": log2,
        "probes": max(3, (end - start) // 45_000), "source": "cn",
    }  # fmt: skip


def structural_variants(rng: random.Random, sample: dict, item: Plan) -> list[dict]:
    """Manta: a CRBN breakend pair when planned; otherwise nothing in the kept loci, as for most samples."""
    if item.alteration != "breakpoint":
        return []
    position, mate = rng.randint(3_160_000, 3_175_000), rng.randint(6_600_000, 6_900_000)
    end = {"svtype": "BND", "filter": "PASS", "support": rng.randint(12, 60)}
    return [
        {"gene": "CRBN", "chrom": "3", "pos": position, "sv_id": "MantaBND:1:0:1:0:0:0:0", "mate_chrom": "12",
         "mate_pos": mate, **end},
        {"gene": "CRBN", "chrom": "12", "pos": mate, "sv_id": "MantaBND:1:0:1:0:0:0:1", "mate_chrom": "3",
         "mate_pos": position, **end},
    ]  # fmt: skip


def junctions(rng: random.Random, sample: dict, item: Plan) -> list[dict]:
    """STAR: every CRBN intron, exon 10's two inclusion junctions among them, and the exon-10 skip junction."""
    from variants import crbn, demo

    build = sample["genome_build"]
    exon10 = crbn.EXON10_JUNCTIONS[build]
    skip, downstream, upstream = (60, 40, 40) if item.alteration == "exon10_skipping" else (5, 80, 70)
    scale = 0.05 if item.alteration == "low_expression" else 1.0
    rows = []
    for intron in demo.crbn_introns(build):
        reads = {exon10.inclusion_downstream: downstream, exon10.inclusion_upstream: upstream}.get(intron)
        rows.append(junction(intron, reads if reads is not None else round(rng.uniform(55, 95) * scale)))
    return [*rows, junction(exon10.skip, max(0, skip + rng.randint(-3, 3)))]


def junction(intron: tuple[int, int], reads: int) -> dict:
    return {"gene": "", "chrom": "3", "intron_start": intron[0], "intron_end": intron[1], "reads": reads, "strand": "-"}


def expression(rng: random.Random, sample: dict, item: Plan) -> list[dict]:
    """salmon, summed per kept gene: CRBN and the four other kept genes it quantifies."""
    tpm = {"CRBN": 0.9 if item.alteration == "low_expression" else rng.uniform(15, 35)}
    tpm |= {gene: value * rng.uniform(0.7, 1.3) for gene, value in (("IKZF1", 31), ("IKZF3", 44), ("IRF4", 390))}
    tpm["MYC"] = 85 * rng.uniform(0.7, 1.3)
    return [{"gene": gene, "value": round(value, 6), "unit": "TPM", "method": "salmon"} for gene, value in tpm.items()]


# ---- releases ---------------------------------------------------------------------------------------------------


def activate(texts: dict[str, str] | None) -> int:
    """Load the files as a draft and activate it; the id of the re-assessment run it starts. No worker runs
    here: the benchmark plays the worker, in a child process, so the enqueue is left out."""
    from django.contrib.auth import get_user_model

    from rules import services

    services._enqueue_reassessment = lambda run_id: None
    curator = get_user_model().objects.get(username="curator.nbh")
    release = services.release_load_draft(by=curator, texts=texts)
    return services.release_activate(release=release, by=curator).pk


def edited_texts(number: int) -> dict[str, str]:
    """The bundled files as release bench-edit-N, whose class B x lenalidomide call is "reduced" when N is odd and
    back to "resistant" when N is even: one call edited, as a curator would, and every activation after the first
    changes the same calls, one way or back."""
    from rules.services import bundled_texts, validated

    texts = bundled_texts()
    release = validated(texts).release
    replaced = _replace_once(texts["release.yaml"], f'release: "{release}"', f'release: "bench-edit-{number}"')
    texts["release.yaml"] = replaced
    calls = texts["calls.yaml"]
    cell = calls.index("      lenalidomide:\n        call: resistant", calls.index("  B:\n"))
    call = "reduced" if number % 2 else "resistant"
    texts["calls.yaml"] = calls[:cell] + _replace_once(calls[cell:], "call: resistant", f"call: {call}")
    return texts


def _replace_once(text: str, old: str, new: str) -> str:
    if old not in text:
        raise SystemExit(f"The bundled knowledge base changed shape: {old!r} not found; update edited_texts().")
    return text.replace(old, new, 1)


# ---- measuring, each case in a child process ---------------------------------------------------------------------


def run_case(case: str, *extra: str) -> dict:
    """One case in a fresh process on the scratch database: its figures and its own peak memory."""
    from django.db import connections

    connections.close_all()  # SQLite: the child must not wait on a connection the parent holds
    command = [sys.executable, str(Path(__file__).resolve()), "--case", case, *extra]
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def child(args: argparse.Namespace) -> None:
    """Runs in the child: Django and the imports first, then the timed work."""
    start_django()
    from django.db import connection

    from rules import services  # noqa: F401  (imported before the clock starts)

    counter = QueryCounter()
    started_mb = rss_mb()
    with connection.execute_wrapper(counter):
        figures = CASES[args.case](args)
    print(json.dumps({**figures, "queries": counter.count, "peak_mb": peak_mb(), "start_mb": started_mb}))


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def _reassess(args: argparse.Namespace) -> dict:
    """The activation's re-assessment, as the Celery task runs it, and what it found."""
    from rules import services
    from rules.models import CallChange, JobStatus, ReassessmentRun

    profiler = cProfile.Profile() if args.profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    services.reassess_all(run_id=args.run_id, task_id=f"bench-{uuid.uuid4()}")
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    run = ReassessmentRun.objects.get(pk=args.run_id)
    changes = CallChange.objects.filter(run=run)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "samples": run.done,
        "status": run.status,
        "failed": run.assessments.exclude(status=JobStatus.DONE).count(),
        "changed_calls": changes.count(),
        "changed_samples": changes.values("sample").distinct().count(),
    }


def _single(args: argparse.Namespace) -> dict:
    """assessment_run on relapse samples with results, one at a time, as a request for one sample runs it."""
    from patients.models import Sample
    from rules import adapters_db, services
    from rules.models import Trigger

    ids = adapters_db.samples_with_facts()[:200]
    samples = Sample.objects.filter(pk__in=ids).exclude(timepoint=Sample.Timepoint.BASELINE).order_by("pk")
    times = []
    for sample in samples.select_related("patient")[:SINGLE_RUNS]:
        started = time.perf_counter()
        services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)
        times.append(time.perf_counter() - started)
    median = statistics.median(times[1:])
    return {"seconds": median, "rate": 1 / median, "first": times[0], "samples": len(times)}


CASES: dict[str, Callable[[argparse.Namespace], dict]] = {"reassess": _reassess, "single": _single}


def peak_mb() -> float:
    """This process's peak resident set (VmHWM: ru_maxrss would also keep the peak of the image exec replaced)."""
    return _status_mb("VmHWM:")


def rss_mb() -> float:
    return _status_mb("VmRSS:")


def _status_mb(field: str) -> float:
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the report -------------------------------------------------------------------------------------------------


def environment(scratch: Scratch) -> str:
    import django
    from django.db import connection

    with connection.cursor():
        version = ".".join(map(str, connection.get_database_version()))
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, {connection.vendor} {version} "
        f"({scratch.label}), {os.cpu_count()} cores"
    )


def describe(cohort: Cohort, seconds: float) -> str:
    plans = list(cohort.plans.values())

    def share(test: Callable[[Plan], bool]) -> str:
        return f"{100 * sum(map(test, plans)) / len(plans):.0f}%"

    return (
        f"Cohort: {cohort.assessed:,} samples with results (of {cohort.samples:,}; {cohort.patients:,} patients, "
        f"{cohort.lines:,} treatment lines): DNA {share(lambda p: p.dna)}, copy number {share(lambda p: p.cn)}, "
        f"SV {share(lambda p: p.sv)}, RNA {share(lambda p: p.rna)}, CRBN alteration "
        f"{share(lambda p: bool(p.alteration))}; {cohort.rows:,} fact rows in {cohort.files:,} files; built in "
        f"{seconds:.1f} s"
    )


def print_figures(figures: dict[str, dict]) -> None:
    """CPU seconds are the measuring process's own (PostgreSQL's work is in its server processes): wall seconds
    far above them on SQLite mean the shared machine was busy."""
    print(f"\n  {'case':<44} {'seconds':>8} {'CPU s':>7} {'samples/s':>10} {'queries':>9} {'peak MB':>8}  detail")
    for name, figure in figures.items():
        rate = figure.get("rate", figure["samples"] / figure["seconds"])
        cpu = f"{figure['cpu']:7.2f}" if "cpu" in figure else f"{'-':>7}"
        print(
            f"  {name:<44} {figure['seconds']:8.3f} {cpu} {rate:10.0f} {figure['queries']:9,} "
            f"{figure['peak_mb']:8.1f}  {detail(figure)}"
        )


def detail(figure: dict) -> str:
    growth = f"+{figure['peak_mb'] - figure['start_mb']:.0f} MB over the process at start"
    if "changed_calls" in figure:
        return (
            f"{figure['samples']:,} samples ({figure['status']}, {figure['failed']} failed), "
            f"{figure['changed_calls']:,} calls changed in {figure['changed_samples']:,} samples; {growth}"
        )
    queries = figure["queries"] / figure["samples"]
    first = f"the first, parsing the release: {figure['first']:.3f} s"
    return f"median of {figure['samples'] - 1} ({first}), {queries:.0f} queries each"


def targets(samples: int, activation: dict) -> list[tuple[str, str, bool]]:
    """The target is 20 s for 10,000 samples; another size is held to the same rate."""
    limit = TARGET_SECONDS * samples / TARGET_SAMPLES
    met = activation["seconds"] < limit and activation["status"] == "done" and activation["failed"] == 0
    label = f"activation re-assesses {samples:,} samples in < {limit:g} s (20 s per 10,000)"
    return [(label, f"{activation['seconds']:.1f} s, {activation['status']}", met)]


def main() -> None:
    args = arguments()
    if args.case:
        child(args)
        return
    scratch = open_scratch(args.database_url)
    try:
        measure(args, scratch)
    finally:
        close_scratch(scratch)


def measure(args: argparse.Namespace, scratch: Scratch) -> None:
    start_django()
    from django.core.management import call_command

    print(environment(scratch))
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    cohort = build_cohort(args.samples, args.seed)
    print(describe(cohort, time.perf_counter() - started))
    figures = {"first activation (no earlier assessment)": run_case("reassess", "--run-id", str(activate(None)))}
    edited = [activation(args, number) for number in range(1, args.repeat + 1)]
    best = f"activation of an edited draft (best of {args.repeat})"
    figures[best] = min(edited, key=lambda item: item["seconds"])
    figures["single assessment_run"] = run_case("single")
    print_figures(figures)
    each = ", ".join(f"{item['seconds']:.1f}" for item in edited)
    print(f"\n  edited-draft activations, each: {each} s")
    if args.profile:
        print(f"  cProfile of the first edited-draft activation in {args.profile} (its figures include the profiler)")
    print("\nTargets")
    for target, measured, met in targets(args.samples, figures[best]):
        print(f"  {'PASS' if met else 'MISS'}  {target:<66} {measured}")


def activation(args: argparse.Namespace, number: int) -> dict:
    """Activate edited draft ``number`` and measure its re-assessment in a child process."""
    profile = ("--profile", args.profile) if args.profile and number == 1 else ()
    return run_case("reassess", "--run-id", str(activate(edited_texts(number))), *profile)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=TARGET_SAMPLES, help="samples with results (default 10000)")
    parser.add_argument(
        "--database-url", default="", help="a PostgreSQL database to create, use and drop (default: SQLite, temp dir)"
    )
    parser.add_argument("--seed", type=int, default=38, help="the generator's seed (default 38)")
    parser.add_argument("--repeat", type=int, default=3, help="edited drafts activated; the best is kept (default 3)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the first edited draft's activation")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)  # run in a child process
    parser.add_argument("--run-id", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
