"""Faults against the real services: a worker killed (SIGKILL) in the middle of an ingest and of a render, and a
Redis that crashes with tasks queued. The state of the work is a database row, so each test asserts on rows and
files: the task is redelivered, finishes, and its effects exist exactly once.

How redelivery works with the Redis broker (kombu): a worker takes a message and keeps it in Redis's "unacked"
set until the task has run (late acknowledgement). A worker killed with SIGKILL never acknowledges nor hands the
message back; any worker returns it to its queue once it has been unacknowledged longer than the visibility
timeout (at start-up, then on a periodic sweep). The tests shorten that timeout to seconds through
CELERY_VISIBILITY_TIMEOUT; production keeps it longer than the task time limit.
"""

import gzip
import hashlib
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from bench.ingest import vcf_chunks
from conftest import service_required
from crbn_portal.celery import app
from crbn_portal.tests.live_services import (
    RedisServer,
    celery_worker,
    kill_hard,
    redis_server_binary,
    wait_until,
)
from patients.tests.factories import SampleFactory
from reports.models import RenderStatus, Report
from reports.tests.reporting import assessed_sample, draft, sign, submit
from variants.models import ParseRun, SmallVariant, SpliceJunction, VariantFile
from variants.services import variant_file_confirm, variant_file_upload
from variants.tasks import ingest_file
from variants.tests.test_ingest_worker import SJ_OUT_TAB

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 2  # seconds a taken, unacknowledged task waits before any worker may take it again
RECORDS = 800_000  # a whole-genome VCF slice that takes the worker a second or two to parse


@pytest.fixture
def short_visibility(worker_environment) -> dict[str, str]:
    return {**worker_environment, "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


@pytest.fixture
def big_vcf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("vcf") / "relapse.mutect2.vcf.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        for chunk in vcf_chunks(RECORDS, seed=38):
            out.write(chunk)
    return path


def uploaded(path: Path, world) -> VariantFile:
    sample = SampleFactory(patient__institution=world.inst_a, genome_build="GRCh38")
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        variant_file, _ = variant_file_upload(sample=sample, upload=upload, by=world.users["lab_scientist_a"])
    return variant_file


def kill_while(process, row, is_running) -> None:
    """SIGKILL the worker as soon as the row shows the task running, and check it died before finishing."""
    wait_until(lambda: is_running(type(row).objects.get(pk=row.pk)), 60, "the worker to claim the task", 0.01)
    kill_hard(process)
    assert is_running(type(row).objects.get(pk=row.pk)), "the task finished before the worker was killed"
    time.sleep(VISIBILITY_TIMEOUT + 0.5)


def test_an_ingest_killed_midway_is_redelivered_and_stored_once(world, short_visibility, big_vcf):
    variant_file = uploaded(big_vcf, world)
    with celery_worker(short_visibility, queues="default") as first:
        run = variant_file_confirm(variant_file=variant_file, by=None)
        kill_while(first, run, lambda row: row.status == ParseRun.Status.RUNNING)
    task_id = ParseRun.objects.get(pk=run.pk).task_id

    with celery_worker(short_visibility, queues="default"):
        wait_until(lambda: ParseRun.objects.get(pk=run.pk).finished, 120, "the redelivered ingest")

    run.refresh_from_db()
    assert run.status == ParseRun.Status.SUCCEEDED, run.error
    assert run.task_id == task_id  # the same message, redelivered, not a second one
    assert ParseRun.objects.filter(file=variant_file).count() == 1
    assert run.records_kept > 0
    assert SmallVariant.objects.filter(source_file=variant_file).count() == run.records_kept


def test_a_render_killed_midway_is_redelivered_and_yields_one_pdf(world, short_visibility, settings):
    author, signer = world.users["lab_scientist_a"], world.users["clinician_a"]
    with celery_worker(short_visibility, queues="render") as first:
        report = sign(submit(draft(assessed_sample(world.inst_a), author), author), signer)
        kill_while(first, report, lambda row: row.render_status == RenderStatus.RENDERING)
    task_id = Report.objects.get(pk=report.pk).render_task_id

    with celery_worker(short_visibility, queues="render"):
        ready = {RenderStatus.READY, RenderStatus.FAILED}
        wait_until(lambda: Report.objects.get(pk=report.pk).render_status in ready, 120, "the redelivered render")

    report.refresh_from_db()
    pdfs = sorted((Path(settings.MEDIA_ROOT) / "reports").rglob("*.pdf"))
    assert report.render_status == RenderStatus.READY, report.render_error
    assert report.render_task_id == task_id
    assert [pdf.name for pdf in pdfs] == [Path(report.pdf.name).name]
    assert report.pdf_sha256 == hashlib.sha256(pdfs[0].read_bytes()).hexdigest()


@pytest.fixture
def crash_safe_redis(tmp_path):
    """A Redis of this test's own that logs every write to its append-only file before answering (the production
    recommendation in docs/operations.md), so a crash loses no queued task."""
    service_required("redis-server (to start a Redis of the test's own)", redis_server_binary())
    server = RedisServer(tmp_path, "--appendonly", "yes", "--appendfsync", "always", "--save", "")
    server.start()
    yield server
    server.stop()


def test_tasks_queued_when_redis_crashes_run_once_it_is_back(world, worker_environment, crash_safe_redis):
    broker = dict.fromkeys(("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"), crash_safe_redis.url)
    runs = [queued_junction_run(world, index) for index in range(3)]
    with app.connection_for_write(crash_safe_redis.url) as connection:
        for run in runs:
            ingest_file.apply_async(args=[run.pk], connection=connection)

    crash_safe_redis.kill()
    crash_safe_redis.start()
    with celery_worker({**worker_environment, **broker}, queues="default"):
        wait_until(lambda: all(ParseRun.objects.get(pk=run.pk).finished for run in runs), 60, "the queued ingests")

    statuses = set(ParseRun.objects.filter(pk__in=[run.pk for run in runs]).values_list("status", flat=True))
    assert statuses == {ParseRun.Status.SUCCEEDED}
    assert SpliceJunction.objects.filter(source_file__parse_runs__in=runs).count() == 3 * 3


def queued_junction_run(world, index: int) -> ParseRun:
    """A confirmed junction file whose parse run is queued but not sent: the test sends it to its own broker."""
    sample = SampleFactory(patient__institution=world.inst_a, genome_build="GRCh38")
    upload = SimpleUploadedFile(f"SJ{index}.out.tab", SJ_OUT_TAB)
    variant_file, _ = variant_file_upload(sample=sample, upload=upload, by=world.users["lab_scientist_a"])
    return variant_file_confirm(variant_file=variant_file, by=None, enqueue=False)
