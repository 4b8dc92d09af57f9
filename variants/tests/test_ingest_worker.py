"""Ingest through the real path: PostgreSQL, Redis and a Celery worker process parse an uploaded file."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crbn_portal.tests.live_services import celery_worker
from patients.tests.factories import SampleFactory, UserFactory
from variants.models import ParseRun, SpliceJunction
from variants.services import variant_file_confirm, variant_file_upload

# GRCh38 exon-10 junctions (domain/CRBN.md): skip 30 reads, inclusion 60 and 40.
SJ_OUT_TAB = b"".join(
    f"chr3\t{start}\t{end}\t2\t2\t1\t{reads}\t0\t50\n".encode()
    for start, end, reads in ((3151046, 3153423, 30), (3151046, 3152455, 60), (3152588, 3153423, 40))
)


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
    with celery_worker(worker_environment, queues="default"):
        run = wait_for(variant_file_confirm(variant_file=variant_file, by=None))
    assert run.status == ParseRun.Status.SUCCEEDED, run.error
    assert (run.records_read, run.records_kept, run.build) == (3, 3, "GRCh38")
    reads = sorted(SpliceJunction.objects.filter(sample=sample).values_list("reads", flat=True))
    assert reads == [30, 40, 60]
