"""How fast a relapse report's page answers, and its PDF renders, with the demo cohort scaled to 10,000 patients.

    .venv/bin/python bench/report.py [--patients 10000] [--assessments 40000] [--requests 200] [--pdfs 10] [--keep]

Creates a PostgreSQL database (``createdb``; dropped at the end unless --keep), migrates it and seeds the demo with
``manage.py seed_demo`` in a temp CRBN_VAR_DIR, drafts and signs reports on the demo's assessed samples and measures
the report page; then copies the demo's patients, lines, samples, files, fact rows and assessments (bulk inserts)
up to the cohort size and measures the page again, and times the signed reports' PDFs through the render path
against bare WeasyPrint on the same HTML. Not a test: the suite never runs it.
"""

import argparse
import copy
import cProfile
import itertools
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 100.0
TARGET_PDF_RATIO = 1.2
BATCH = 2_000  # rows per INSERT
JSON_BATCH = 250  # assessments carry ~8 KB of JSON each
CHUNK_PATIENTS = 1_000  # patients copied per transaction
PROFILE_LINES = 60
WARMUP = 20  # requests before the clock starts: templates compiled, connections open, caches warm


# ---- the scratch database -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scratch:
    var_dir: Path
    database: str
    url: str
    env: dict[str, str]  # for the manage.py children: the same database, var dir and media root


def open_scratch(database: str) -> Scratch:
    """A new PostgreSQL database and a temp CRBN_VAR_DIR (secret key, Celery folders, MEDIA_ROOT). A database
    that exists is refused, never reused: the benchmark drops its database when done."""
    made = subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", database], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        raise SystemExit(f"createdb {database} failed ({made.stderr.strip()}): drop it or pass --database NAME.")
    var_dir = Path(tempfile.mkdtemp(prefix="crbn-bench-report-"))
    url = f"postgres://postgres@127.0.0.1:5432/{database}"
    env = {"DATABASE_URL": url, "CRBN_VAR_DIR": str(var_dir), "MEDIA_ROOT": str(var_dir / "media")}
    # DEBUG off, as in production: no query log, no debug pages. The environment is set before Django starts.
    env |= {"DEBUG": "off", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "crbn_portal.settings"}
    os.environ.update(env)
    return Scratch(var_dir, database, url, env)


def close_scratch(scratch: Scratch, keep: bool) -> None:
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    if keep:
        print(f"\nKept: database {scratch.database} ({scratch.url}), CRBN_VAR_DIR {scratch.var_dir}")
        return
    dropped = subprocess.run(
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", scratch.database],
        capture_output=True,
        text=True,
        check=False,
    )
    if dropped.returncode != 0:
        print(f"dropdb {scratch.database} failed: {dropped.stderr.strip()}", file=sys.stderr)
    shutil.rmtree(scratch.var_dir, ignore_errors=True)


def manage(scratch: Scratch, *command: str) -> str:
    """``manage.py`` in a child process with the scratch environment, as an operator would run it."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *command],
        cwd=ROOT,
        env={**os.environ, **scratch.env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_django() -> None:
    import django

    django.setup()


# ---- reports: drafted, submitted and signed through the services ------------------------------------------------


@dataclass
class Reports:
    demo: list = field(default_factory=list)  # reports on the demo's own samples, made before scaling
    copies: list = field(default_factory=list)  # reports on copied samples, made after
    signed: list = field(default_factory=list)  # those signed (their frozen HTML is what the PDF renders)

    @property
    def all(self) -> list:
        return [*self.demo, *self.copies]


def clinicians() -> dict[int, Any]:
    """Institution id -> its demo clinician (clinician.nbh, clinician.lcc): drafts, signs and reads the reports."""
    from crbn_portal.roles import Role
    from patients.models import Membership

    members = Membership.objects.filter(role=Role.CLINICIAN, user__username__startswith="clinician.")
    return {item.institution_id: item.user for item in members.select_related("user")}


def draft_reports(sample_ids: Iterable[int], by_institution: dict[int, Any]) -> list:
    from patients.models import Sample
    from reports import services

    samples = Sample.objects.filter(pk__in=list(sample_ids)).select_related("institution").order_by("pk")
    return [services.report_create_draft(sample=item, by=by_institution[item.institution_id]) for item in samples]


def submit(report, by):  # type: ignore[no-untyped-def]
    from reports import services

    return services.report_submit(report=report, by=by, revision=report.revision)


def sign(report, by):  # type: ignore[no-untyped-def]
    """Submitted, then signed with the password re-entered, as the page does it. No worker runs here: the bench
    renders the PDF itself, so the enqueue after the commit is left out."""
    from patients.demo import DEMO_PASSWORD
    from reports import services

    services._enqueue_render = lambda report_id: None
    report = submit(report, by)
    return services.report_sign(report=report, by=by, password=DEMO_PASSWORD, revision=report.revision)


def demo_reports(count_signed: int) -> Reports:
    """The reports seed_demo made (in every workflow state, if it makes any) and a draft on every other demo
    sample with a completed assessment; enough of the drafts signed that ``count_signed`` reports are, chosen to
    cover every call (a signed report's PDF renders the verdicts it states)."""
    from reports.models import Report
    from rules.models import Assessment

    users = clinicians()
    seeded = list(Report.objects.select_related("sample").order_by("pk"))
    assessed = set(Assessment.objects.done().values_list("sample_id", flat=True))
    drafts = draft_reports(sorted(assessed - {item.sample_id for item in seeded}), users)
    by_call: dict[str, list] = defaultdict(list)
    for item in drafts:
        by_call[item.assessment.calls.get("lenalidomide", "")].append(item)
    rotation = [item for group in itertools.zip_longest(*by_call.values()) for item in group if item is not None]
    signed = [item for item in seeded if item.sealed]
    chosen = {item.pk for item in rotation[: max(0, count_signed - len(signed))]}
    reports = Reports(demo=list(seeded), signed=signed[:count_signed])
    for item in drafts:
        if item.pk in chosen:
            item = sign(item, users[item.sample.institution_id])
            reports.signed.append(item)
        reports.demo.append(item)
    return reports


def copy_reports(reports: Reports, count: int, first_copied_sample: int, seed: int) -> None:
    """Drafts on ``count`` copied samples picked at random, two in five of them submitted for review."""
    from patients.models import Sample

    rng = random.Random(seed)
    users = clinicians()
    copied = list(Sample.objects.filter(pk__gte=first_copied_sample).values_list("pk", flat=True))
    for index, item in enumerate(draft_reports(rng.sample(copied, count), users)):
        reports.copies.append(submit(item, users[item.sample.institution_id]) if index % 5 < 2 else item)


# ---- the cohort, scaled by copying the demo ---------------------------------------------------------------------


@dataclass
class Demo:
    """The seeded demo, read once: what each copy is made from."""

    patients: list
    lines: dict[int, list]  # patient id -> lines
    line_drugs: dict[int, list]  # line id -> line drugs
    samples: dict[int, list]  # patient id -> samples
    files: dict[int, list]  # sample id -> files
    runs: dict[int, list]  # file id -> parse runs
    rows: dict[int, list]  # file id -> fact rows, every kind
    assessments: dict[int, list]  # sample id -> completed assessments, oldest first
    templates: dict[tuple[int, bool], list]  # (institution, baseline?) -> samples with a completed assessment

    @classmethod
    def load(cls) -> "Demo":
        from patients.models import LineDrug, Patient, Sample, TreatmentLine
        from rules.models import Assessment
        from variants.models import ParseRun, VariantFile
        from variants.services import ROW_MODELS

        def grouped(rows: Iterable[Any], key: str) -> dict[int, list]:
            groups: dict[int, list] = defaultdict(list)
            for row in rows:
                groups[getattr(row, key)].append(row)
            return groups

        rows: dict[int, list] = defaultdict(list)
        for model in ROW_MODELS.values():
            for row in model.objects.order_by("pk"):
                rows[row.source_file_id].append(row)
        assessments = grouped(Assessment.objects.done().order_by("created_at", "pk"), "sample_id")
        samples = list(Sample.objects.order_by("pk"))
        templates: dict[tuple[int, bool], list] = defaultdict(list)
        for item in samples:
            if item.pk in assessments:
                templates[(item.institution_id, item.timepoint == Sample.Timepoint.BASELINE)].append(item)
        return cls(
            patients=list(Patient.objects.order_by("pk")),
            lines=grouped(TreatmentLine.objects.order_by("pk"), "patient_id"),
            line_drugs=grouped(LineDrug.objects.order_by("pk"), "line_id"),
            samples=grouped(samples, "patient_id"),
            files=grouped(VariantFile.objects.order_by("pk"), "sample_id"),
            runs=grouped(ParseRun.objects.order_by("created_at", "pk"), "file_id"),
            rows=rows,
            assessments=assessments,
            templates=templates,
        )

    def template(self, rng: random.Random, sample: Any) -> Any:
        """The sample whose files, rows and results a copy of ``sample`` gets: its own when it has a completed
        assessment, else one of its institution (same genome build) and kind (baseline or relapse)."""
        if sample.pk in self.assessments:
            return sample
        from patients.models import Sample

        pool = self.templates.get((sample.institution_id, sample.timepoint == Sample.Timepoint.BASELINE))
        pool = pool or [item for (site, _), items in self.templates.items() if site == sample.institution_id
                        for item in items]  # fmt: skip
        return rng.choice(pool)


@dataclass
class Scaled:
    patients: int = 0
    lines: int = 0
    samples: int = 0
    files: int = 0
    rows: int = 0
    assessments: int = 0
    first_sample: int = 0  # the first copied sample's id
    seconds: float = 0.0


def scale_cohort(patients: int, assessments: int, seed: int) -> Scaled:
    """Copy the demo's patients (round after round, each with its treatment lines and samples) until the cohort
    has ``patients``. Every copied sample gets copies of the files, parse runs and fact rows of a demo sample with
    a completed assessment (its own source's when it has them) and copies of that sample's assessment, its history
    (ingest, then re-assessments; 2-3 at the default sizes), so that the cohort holds ``assessments`` in all."""
    from django.db import transaction

    from patients.models import Sample
    from rules.models import Assessment

    started = time.perf_counter()
    rng = random.Random(seed)
    demo = Demo.load()
    wanted = max(0, patients - len(demo.patients))
    plan = list(itertools.islice(itertools.cycle(demo.patients), wanted))
    copied_samples = sum(len(demo.samples[item.pk]) for item in plan)
    history = _history(rng, copied_samples, assessments - Assessment.objects.count())
    scaled = Scaled(first_sample=(Sample.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1)
    for start in range(0, len(plan), CHUNK_PATIENTS):
        part = plan[start : start + CHUNK_PATIENTS]
        chunk = [(item, 1 + (start + offset) // len(demo.patients)) for offset, item in enumerate(part)]
        with transaction.atomic():
            _copy_chunk(rng, demo, chunk, history, scaled)
    # What autovacuum does some time after a bulk load: statistics, visibility map, hint bits. Done here, it
    # cannot start in the middle of a measurement and take one of the two cores.
    sql("VACUUM ANALYZE")
    scaled.seconds = time.perf_counter() - started
    return scaled


def sql(*statements: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _history(rng: random.Random, samples: int, assessments: int) -> Iterator[int]:
    """How many assessments each copied sample has, in sample order: the total is ``assessments`` exactly."""
    if samples == 0:
        return iter(())
    counts = [assessments // samples] * samples
    for index in rng.sample(range(samples), assessments - sum(counts)):
        counts[index] += 1
    return iter(counts)


def _clone(rng: random.Random, row: Any, **changes: Any) -> Any:
    """An unsaved copy of a model instance with a new pk (and uuid, where the model has one)."""
    from django.db.models.base import ModelState

    new = copy.copy(row)
    new._state = ModelState()
    new.pk = None
    if hasattr(row, "uuid"):
        new.uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
    for name, value in changes.items():
        setattr(new, name, value)
    return new


def _copy_chunk(rng: random.Random, demo: Demo, chunk: list, history: Iterator[int], scaled: Scaled) -> None:
    """Parents first, so that each level's bulk insert has the ids the next one needs."""
    from patients.models import LineDrug, Patient, Sample, TreatmentLine
    from rules.models import Assessment, Trigger
    from variants.models import ParseRun, VariantFile

    patients = [
        _clone(rng, item, study_id=f"{item.study_id}-C{n}", mrn=f"{item.mrn}-C{n}"[:40] if item.mrn else "")
        for item, n in chunk
    ]
    Patient.objects.bulk_create(patients, BATCH)
    pairs = [(new, old) for new, (old, _) in zip(patients, chunk, strict=True)]
    lines = [(_clone(rng, line, patient_id=new.pk), line) for new, old in pairs for line in demo.lines[old.pk]]
    TreatmentLine.objects.bulk_create([new for new, _ in lines], BATCH)
    drugs = [_clone(rng, item, line_id=new.pk) for new, old in lines for item in demo.line_drugs[old.pk]]
    LineDrug.objects.bulk_create(drugs, BATCH)
    samples = [
        (_clone(rng, item, patient_id=new.pk, accession=f"{item.accession}-C{n}"), demo.template(rng, item))
        for (new, old), (_, n) in zip(pairs, chunk, strict=True)
        for item in demo.samples[old.pk]
    ]
    Sample.objects.bulk_create([new for new, _ in samples], BATCH)
    files = [(_clone(rng, item, sample_id=new.pk), item) for new, source in samples for item in demo.files[source.pk]]
    VariantFile.objects.bulk_create([new for new, _ in files], BATCH)
    ParseRun.objects.bulk_create(
        [_clone(rng, run, file_id=new.pk) for new, old in files for run in demo.runs[old.pk]], BATCH
    )
    rows: dict[type, list] = defaultdict(list)
    for new, old in files:
        for row in demo.rows[old.pk]:
            rows[type(row)].append(_clone(rng, row, sample_id=new.sample_id, source_file_id=new.pk))
    for model, batch in rows.items():
        model.objects.bulk_create(batch, BATCH)
    results = []
    for new, source in samples:
        latest = demo.assessments[source.pk][-1]
        count = next(history)
        for index in range(count):
            trigger = Trigger.INGEST if index == 0 else Trigger.ACTIVATION
            results.append(_clone(rng, latest, sample_id=new.pk, trigger=trigger, task_id="", reassessment=None))
    Assessment.objects.bulk_create(results, JSON_BATCH)
    scaled.patients += len(patients)
    scaled.lines += len(lines)
    scaled.samples += len(samples)
    scaled.files += len(files)
    scaled.rows += sum(len(batch) for batch in rows.values())
    scaled.assessments += len(results)


def cohort_counts() -> dict[str, int]:
    from django.db import connection

    from patients.models import Patient, Sample, TreatmentLine
    from reports.models import Report
    from rules.models import Assessment
    from variants.models import VariantFile
    from variants.services import ROW_MODELS

    done = Assessment.objects.done()
    with connection.cursor() as cursor:  # a call per drug per completed assessment: the keys of its .calls
        query, params = done.values("calls").query.sql_with_params()
        cursor.execute(f"SELECT count(*) FROM ({query}) AS done, jsonb_object_keys(done.calls)", params)
        (calls,) = cursor.fetchone()
    return {
        "patients": Patient.objects.count(),
        "lines": TreatmentLine.objects.count(),
        "samples": Sample.objects.count(),
        "files": VariantFile.objects.count(),
        "fact rows": sum(model.objects.count() for model in ROW_MODELS.values()),
        "assessments": done.count(),
        "calls": calls,
        "reports": Report.objects.count(),
    }


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{value:,} {name}" for name, value in counts.items())


# ---- the report page ------------------------------------------------------------------------------------------


@dataclass
class PageFigures:
    label: str
    times_ms: list[float]
    cpu_ms: list[float]  # this process's CPU time per request: what the load of other processes does not add
    queries: dict[int, int]  # report id -> SQL queries of one request for its page
    sql_ms: dict[int, float]  # report id -> the time those queries took (as Django measures it)
    pages: dict[int, int]  # report id -> database pages its SELECTs touched (EXPLAIN ANALYZE, BUFFERS)
    heaviest: tuple[int, str]  # the single SELECT that touched most pages in the row: (pages, its plan's gist)
    reports: int
    profile: str = ""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def clients() -> dict[int, Any]:
    """Institution id -> a logged-in test client (its demo clinician). Host "localhost", which ALLOWED_HOSTS
    holds, and no test environment: templates are not instrumented, so the page costs what it costs in service."""
    from django.test import Client

    made = {}
    for institution, user in clinicians().items():
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        made[institution] = client
    return made


def measure_page(label: str, reports: list, requests: int, seed: int, profile: str | None = None) -> PageFigures:
    """``requests`` page loads over the reports (shuffled, round-robin), timed without query capture; then one
    captured load per report for its query count, SQL time and the pages its SELECTs touch; with ``profile``, the
    timed loads again under cProfile (so the profiler's overhead never reaches the figures)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    by_site = clients()
    rng = random.Random(seed)
    order = list(itertools.islice(itertools.cycle(reports), requests))
    rng.shuffle(order)
    urls = {item.pk: (by_site[item.sample.institution_id], f"/reports/{item.uuid}/") for item in reports}

    def load(report: Any) -> None:
        client, url = urls[report.pk]
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")

    for report in order[:WARMUP]:
        load(report)
    times, cpu = [], []
    for report in order:
        started, started_cpu = time.perf_counter(), time.process_time()
        load(report)
        times.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
    queries, sql_ms, pages = {}, {}, {}
    heaviest = (0, "")
    for report in reports:
        with CaptureQueriesContext(connection) as captured:
            load(report)
        queries[report.pk] = len(captured)
        sql_ms[report.pk] = 1000 * sum(float(query["time"]) for query in captured.captured_queries)
        plans = [explain(query["sql"]) for query in captured.captured_queries if query["sql"].startswith("SELECT")]
        pages[report.pk] = sum(touched for touched, _ in plans)
        heaviest = max([heaviest, *plans])
    figures = PageFigures(label, times, cpu, queries, sql_ms, pages, heaviest, len(reports))
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(lambda: [load(report) for report in order])
        figures.profile = top_costs(profiler)
    return figures


def explain(query: str) -> tuple[int, str]:
    """The pages (shared buffers hit or read) one SELECT touches, run again under EXPLAIN ANALYZE: unlike its
    time, a count the machine's load does not change. With the gist of its plan: the table it reads, its join
    methods, and the scan that touched most pages."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) {query}")
        lines = [row[0] for row in cursor.fetchall()]
    nodes: list[tuple[str, int]] = []  # plan node, pages it touched (its subtree's)
    for line in lines:
        if line.startswith("Planning"):
            break
        if not nodes or "->" in line:
            nodes.append((re.sub(r"^->\s*", "", line.strip()).split("  (")[0], 0))
        elif "Buffers:" in line:
            nodes[-1] = (nodes[-1][0], sum(int(count) for count in re.findall(r"(?:hit|read)=(\d+)", line)))
    table = re.search(r'FROM "(\w+)"', query)
    joins = sorted({node.split(" Join")[0] + " Join" for node, _ in nodes if " Join" in node})
    scans = [(pages, node) for node, pages in nodes if "Scan" in node]
    scan = f"{max(scans)[1]} ({max(scans)[0]:,} pages)" if scans else ""
    gist = "; ".join(part for part in (", ".join(joins), scan) if part)
    return nodes[0][1] if nodes else 0, f"{table.group(1) if table else '?'}: {gist}"


def top_costs(profiler: cProfile.Profile, limit: int = 16) -> str:
    """The project's own functions by cumulative time, then everything by own time."""
    out = StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(rf"{ROOT}/(?!\.venv)", limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue().replace(sysconfig.get_paths()["purelib"] + "/", "").replace(f"{ROOT}/", "")


def print_page(figures: PageFigures) -> None:
    counts = sorted(figures.queries.values())
    times, median = figures.times_ms, statistics.median
    print(
        f"  {figures.label:<52} {len(times):>4} {median(times):7.1f} {figures.percentile(0.95):7.1f} "
        f"{max(times):7.1f} {median(figures.cpu_ms):7.1f}  {counts[0]:>2}-{counts[-1]:<2} ({median(counts):2.0f}) "
        f"{median(figures.sql_ms.values()):6.1f} {median(figures.pages.values()):7.0f} {max(figures.pages.values()):7,}"
    )


def print_heaviest(rows: list[PageFigures]) -> None:
    print("\n  The SELECT that touched most pages, per row:")
    for figures in rows:
        pages, gist = figures.heaviest
        print(f"    {figures.label:<52} {pages:>6,} pages  {gist}")


# ---- the PDF --------------------------------------------------------------------------------------------------


@dataclass
class PdfFigures:
    service: list[float]  # per report, best of --repeat: reports.pdf.html_to_pdf, as the render task calls it
    bare: list[float]  # per report, best of --repeat: weasyprint.HTML(string, base_url).write_pdf()
    task: list[float]  # once per report still queued: services.report_render_pdf (claim, render, store, digest)
    pages: list[int]
    kilobytes: list[float]
    html_kilobytes: list[float]


def measure_pdf(signed: list, repeat: int) -> PdfFigures:
    """The same frozen HTML both ways, in alternating order, best of ``repeat``; one warm-up render each way
    first (WeasyPrint loads fonts on its first document). Then the render task's whole service once per report."""
    import weasyprint
    from pypdf import PdfReader

    from reports import services
    from reports.models import Report
    from reports.pdf import html_to_pdf, static_roots

    base_url = static_roots()[0].resolve().as_uri() + "/"  # as report_render_pdf passes it
    reports = [Report.objects.get(pk=item.pk) for item in signed]

    def service(html: str) -> bytes:
        return html_to_pdf(html, base_url=base_url)

    def bare(html: str) -> bytes:
        return weasyprint.HTML(string=html, base_url=base_url).write_pdf()

    service(reports[0].rendered_html), bare(reports[0].rendered_html)
    best: dict[str, list[float]] = {"service": [], "bare": []}
    pages, sizes = [], []
    for index, report in enumerate(reports):
        timings: dict[str, list[float]] = {"service": [], "bare": []}
        for round_ in range(repeat):
            ways = [("service", service), ("bare", bare)]
            for name, render in ways if (index + round_) % 2 == 0 else reversed(ways):
                started = time.perf_counter()
                data = render(report.rendered_html)
                timings[name].append(time.perf_counter() - started)
        best["service"].append(min(timings["service"]))
        best["bare"].append(min(timings["bare"]))
        pages.append(len(PdfReader(BytesIO(data)).pages))
        sizes.append(len(data) / 1024)
    task = []
    for report in (item for item in reports if item.render_status == Report.RenderStatus.QUEUED):
        started = time.perf_counter()
        services.report_render_pdf(report_id=report.pk, task_id=f"bench-{uuid.uuid4()}")
        task.append(time.perf_counter() - started)
        if not Report.objects.get(pk=report.pk).pdf_ready:
            raise SystemExit(f"report {report.uuid}: the render task did not leave a ready PDF")
    html = [len(report.rendered_html.encode()) / 1024 for report in reports]
    return PdfFigures(best["service"], best["bare"], task, pages, sizes, html)


def print_pdf(figures: PdfFigures, repeat: int) -> None:
    ratios = [s / b for s, b in zip(figures.service, figures.bare, strict=True)]
    n = len(figures.service)
    print(
        f"\nPDF, {n} signed reports ({min(figures.pages)}-{max(figures.pages)} pages, "
        f"{min(figures.kilobytes):.0f}-{max(figures.kilobytes):.0f} KB; frozen HTML "
        f"{min(figures.html_kilobytes):.0f}-{max(figures.html_kilobytes):.0f} KB), best of {repeat}, order alternating"
    )
    print(f"  {'case':<52} {'mean s':>8} {'min s':>8} {'max s':>8}")
    rows = [
        ("bare weasyprint.HTML(string, base_url).write_pdf()", figures.bare),
        ("reports.pdf.html_to_pdf (the render path)", figures.service),
        (f"services.report_render_pdf, once each ({len(figures.task)} queued)", figures.task),
    ]
    for name, values in (row for row in rows if row[1]):
        print(f"  {name:<52} {statistics.mean(values):8.3f} {min(values):8.3f} {max(values):8.3f}")
    print(f"  per-report ratio render path / bare: {min(ratios):.2f}x-{max(ratios):.2f}x")


# ---- the report -------------------------------------------------------------------------------------------------


def environment(scratch: Scratch) -> str:
    import django
    import weasyprint
    from django.db import connection

    with connection.cursor():
        version = ".".join(map(str, connection.get_database_version()))
    return (
        f"Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {version} "
        f"(database {scratch.database}), WeasyPrint {weasyprint.__version__}, {os.cpu_count()} cores"
    )


def targets(
    size: str, before: PageFigures, same: PageFigures, after: PageFigures, pdf: PdfFigures
) -> list[tuple[str, str, bool]]:
    """The p95 is the varied reports' at scale; query counts are compared report for report, before and after."""
    p95 = after.percentile(0.95)
    changed = [pk for pk in before.queries if before.queries[pk] != same.queries[pk]]
    ratio = sum(pdf.service) / sum(pdf.bare)
    return [
        (f"report page p95 < {TARGET_P95_MS:g} ms ({size})", f"{p95:.1f} ms", p95 < TARGET_P95_MS),
        (
            "queries per report page constant in cohort size",
            f"{len(before.queries) - len(changed)}/{len(before.queries)} reports equal"
            + (f", changed: {changed}" if changed else ""),
            not changed,
        ),
        (f"PDF render path <= {TARGET_PDF_RATIO:g}x bare WeasyPrint", f"{ratio:.2f}x", ratio <= TARGET_PDF_RATIO),
    ]


def main() -> None:
    args = arguments()
    scratch = open_scratch(args.database)
    try:
        run(args, scratch)
    finally:
        close_scratch(scratch, args.keep)


def run(args: argparse.Namespace, scratch: Scratch) -> None:
    started = time.perf_counter()
    manage(scratch, "migrate", "--verbosity", "0")
    manage(scratch, "seed_demo", "--verbosity", "0")
    start_django()
    print(environment(scratch))
    reports = demo_reports(args.pdfs)
    demo_counts = cohort_counts()
    print(f"Demo: {describe(demo_counts)}; migrated, seeded, {len(reports.signed)} reports signed in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    print(f"\nReport page ({args.requests} requests a row, {WARMUP} warm-up requests first; ms; CPU: this process's)")
    print(f"  {'':<52} {'':>4} {'':>7} {'':>7} {'':>7} {'CPU':>7}  {'queries':<10} {'SQL ms':>6} {'DB pages':>15}")
    print(f"  {'cohort, reports':<52} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7} {'p50':>7}  {'(median)':<10} "
          f"{'median':>6} {'median':>7} {'max':>7}")  # fmt: skip
    demo_label = f"{demo_counts['patients']:,} patients, {len(reports.demo)} demo reports"
    before = measure_page(demo_label, reports.demo, args.requests, args.seed, False)
    print_page(before)

    scaled = scale_cohort(args.patients, args.assessments, args.seed)
    # The copies' reports are drafted after the statistics were taken, and kept out of autovacuum's sight until
    # the row that reads them has run: the state of the newest reports between two analyses of the table.
    sql("ALTER TABLE reports_report SET (autovacuum_enabled = off)")
    copy_reports(reports, max(0, args.reports - len(reports.demo)), scaled.first_sample, args.seed)
    counts = cohort_counts()
    size = f"{counts['patients']:,} patients"
    same = measure_page(f"{size}, the same {len(reports.demo)} reports", reports.demo, args.requests, args.seed)
    print_page(same)
    label = f"{size}, {len(reports.all)} reports"
    stale = measure_page(f"{label}, {len(reports.copies)} new since ANALYZE", reports.all, args.requests, args.seed)
    print_page(stale)
    sql("ALTER TABLE reports_report RESET (autovacuum_enabled)", "ANALYZE reports_report")
    after = measure_page(f"{label}, after ANALYZE", reports.all, args.requests, args.seed, args.profile)
    print_page(after)
    print_heaviest([before, same, stale, after])
    print(
        f"\nScaled cohort: {describe(counts)}\n  built in {scaled.seconds:.1f} s: {scaled.patients:,} patients, "
        f"{scaled.lines:,} lines, {scaled.samples:,} samples, {scaled.files:,} files, {scaled.rows:,} fact rows and "
        f"{scaled.assessments:,} assessments copied (bulk inserts), then VACUUM ANALYZE; then {len(reports.copies)} "
        f"reports drafted on copied samples\n  calls = the per-drug calls completed assessments store (a call "
        f"for each of the 5 CRBN-dependent drugs: Assessment.result['drugs'], mirrored in Assessment.calls)"
    )
    if args.profile:
        Path(args.profile).write_text(after.profile)
        print(f"\ncProfile of {args.requests} more requests as in the last row (untimed; all of it in {args.profile})")
        print("\n".join("  " + line for line in after.profile.splitlines()[:PROFILE_LINES] if line.strip()))

    pdf = measure_pdf(reports.signed, args.repeat)
    print_pdf(pdf, args.repeat)

    print("\nTargets")
    for target, measured, met in targets(size, before, same, after, pdf):
        print(f"  {'PASS' if met else 'MISS'}  {target:<52} {measured}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000, help="cohort size after scaling (default 10000)")
    parser.add_argument(
        "--assessments", type=int, default=40_000, help="completed assessments after scaling (default 40000)"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed page requests per cohort size (default 200)")
    parser.add_argument("--reports", type=int, default=200, help="reports the scaled page requests spread over")
    parser.add_argument("--pdfs", type=int, default=10, help="signed reports whose PDF is timed (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="PDF renders per report and way; the best is kept")
    parser.add_argument("--database", default="crbn_bench_report", help="the database to create (and drop)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the temp CRBN_VAR_DIR")
    parser.add_argument("--seed", type=int, default=38, help="the generator's seed (default 38)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the timed requests at scale; top costs here")
    return parser.parse_args()


if __name__ == "__main__":
    main()
