"""Ingest through the real path: PostgreSQL, Redis and a Celery worker process parse an uploaded file."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from conftest import service_required
from patients.tests.factories import SampleFactory, UserFactory
from variants.models import ParseRun, SpliceJunction
from variants.services import variant_file_confirm, variant_file_upload

ROOT = Path(__file__).resolve().parents[2]
# GRCh38 exon-10 junctions (domain/CRBN.md): skip 30 reads, inclusion 60 and 40.
SJ_OUT_TAB = b"".join(
    f"chr3\t{start}\t{end}\t2\t2\t1\t{reads}\t0\t50\n".encode()
    for start, end, reads in ((3151046, 3153423, 30), (3151046, 3152455, 60), (3152588, 3153423, 40))
)


def _postgres_database_url() -> str:
    if connection.vendor != "postgresql":
        service_required("PostgreSQL (DATABASE_URL)", "")
    settings_dict = connection.settings_dict
    return f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"


@pytest.fixture
def worker_environment(settings, tmp_path):
    """The worker process sees the test database, the same media folder and the same broker."""
    redis_url = service_required("Redis (REDIS_URL)", os.environ.get("REDIS_URL", ""))
    settings.MEDIA_ROOT = tmp_path / "media"
    return {
        **os.environ,
        "DATABASE_URL": _postgres_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def wait_for(run: ParseRun, seconds: float = 60) -> ParseRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.finished:
            return run
        time.sleep(0.2)
    raise AssertionError(f"parse run still {run.status} after {seconds} s")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_confirmed_upload_is_parsed_by_a_real_worker(worker_environment):
    sample = SampleFactory(genome_build="GRCh38")
    upload = SimpleUploadedFile("SJ.out.tab", SJ_OUT_TAB)
    variant_file, created = variant_file_upload(sample=sample, upload=upload, by=UserFactory())
    assert created and variant_file.kind == "junctions"
    command = [sys.executable, "-m", "celery", "-A", "crbn_portal", "worker", "-Q", "default", "--pool", "solo"]
    worker = subprocess.Popen(command, cwd=ROOT, env=worker_environment, stdout=subprocess.DEVNULL)
    try:
        run = wait_for(variant_file_confirm(variant_file=variant_file, by=None))
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert run.status == ParseRun.Status.SUCCEEDED, run.error
    assert (run.records_read, run.records_kept, run.build) == (3, 3, "GRCh38")
    reads = sorted(SpliceJunction.objects.filter(sample=sample).values_list("reads", flat=True))
    assert reads == [30, 40, 60]
