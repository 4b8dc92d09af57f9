"""The packet through the real path: PostgreSQL, Redis and a Celery worker that listens to the render queue only."""

import hashlib
import time

import pytest

from crbn_portal.tests.live_services import celery_worker
from reports import board_services
from reports.board_models import PacketExport, PacketStatus
from reports.tests.boarding import add, meeting


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
def test_a_render_worker_renders_the_exported_packet(world, worker_environment):
    board = meeting(world)
    add(world, board, "R-1")
    add(world, board, "R-2")
    with celery_worker(worker_environment, queues="render"):
        # No transaction is open: the export commits at once and its task goes to the broker.
        export, seen = wait_for(board_services.packet_export(meeting=board, by=world.users["coordinator_a"]))

    assert (export.status, export.done, export.total) == (PacketStatus.READY, 2, 2), export.error
    assert export.task_id and export.started_at <= export.finished_at
    with export.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == export.pdf_sha256
    assert seen <= {(PacketStatus.QUEUED, 0), (PacketStatus.RENDERING, 0), (PacketStatus.RENDERING, 1),
                    (PacketStatus.RENDERING, 2), (PacketStatus.READY, 2)}  # fmt: skip
