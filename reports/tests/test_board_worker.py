"""The packet through the real path: PostgreSQL, Redis and a Celery worker that listens to the render queue only."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from conftest import service_required
from reports import board_services
from reports.board_models import PacketExport, PacketStatus
from reports.tests.boarding import add, meeting

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def render_worker_environment(settings, tmp_path):
    """The worker process sees the test database, the same media folder and the same broker."""
    redis_url = service_required("Redis (REDIS_URL)", os.environ.get("REDIS_URL", ""))
    if connection.vendor != "postgresql":
        service_required("PostgreSQL (DATABASE_URL)", "")
    settings.MEDIA_ROOT = tmp_path / "media"
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }


def wait_for(export: PacketExport, seconds: float = 120) -> tuple[PacketExport, set[tuple[str, int]]]:
    """The finished export, and the (status, done) states seen while polling."""
    seen = set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        export.refresh_from_db()
        seen.add((export.status, export.done))
        if not export.in_progress:
            return export, seen
        time.sleep(0.1)
    raise AssertionError(f"packet still {export.status} after {seconds} s")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_render_worker_renders_the_exported_packet(world, render_worker_environment):
    board = meeting(world)
    add(world, board, "R-1")
    add(world, board, "R-2")
    command = [sys.executable, "-m", "celery", "-A", "crbn_portal", "worker", "-Q", "render", "--pool", "solo"]
    worker = subprocess.Popen(command, cwd=ROOT, env=render_worker_environment, stdout=subprocess.DEVNULL)
    try:
        # No transaction is open: the export commits at once and its task goes to the broker.
        export, seen = wait_for(board_services.packet_export(meeting=board, by=world.users["coordinator_a"]))
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    assert (export.status, export.done, export.total) == (PacketStatus.READY, 2, 2), export.error
    assert export.task_id and export.started_at <= export.finished_at
    with export.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == export.pdf_sha256
    assert seen <= {(PacketStatus.QUEUED, 0), (PacketStatus.RENDERING, 0), (PacketStatus.RENDERING, 1),
                    (PacketStatus.RENDERING, 2), (PacketStatus.READY, 2)}  # fmt: skip
