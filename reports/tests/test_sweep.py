"""The sweeper for report PDFs and tumour-board packets: a render whose message was lost is queued again, one
stranded too often fails with a reason its page shows, a clinician's "render again" starts a fresh count, and,
against a real Redis and render worker, a swept render yields one PDF however many messages arrive."""

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains

from crbn_portal.celery import app
from crbn_portal.models import AuditEvent
from crbn_portal.staleness import Policy
from crbn_portal.sweep import SWEEPER, sweep
from crbn_portal.tests.live_services import celery_worker, wait_until
from reports import board_services, services
from reports.board_models import PacketExport, PacketStatus
from reports.models import RenderStatus, Report
from reports.sweep import PACKET_RENDERS, REPORT_RENDERS
from reports.tasks import render_report_pdf
from reports.tests.boarding import add, meeting
from reports.tests.reporting import assessed_sample, draft, fresh, sign, submit

POLICY = Policy(queued_after=timedelta(minutes=15), running_after=timedelta(hours=1), max_attempts=1)


@pytest.fixture
def lost_render(world) -> Report:
    """Signed, its render queued, the message never sent (no commit inside a test transaction)."""
    author = world.users["lab_scientist_a"]
    return sign(submit(draft(assessed_sample(world.inst_a), author), author), world.users["clinician_a"])


def sweep_at(job, moment: datetime, capture) -> tuple[dict[str, int], int]:
    with capture() as callbacks:
        verdicts = sweep(job, POLICY, now=moment)
    return verdicts, len(callbacks)


def sweeps_of(row) -> list[tuple[str, str, int]]:
    events = AuditEvent.objects.filter(object_uuid=row.uuid, username=SWEEPER).order_by("at", "id")
    return [(event.detail["sweep"], event.detail["stage"], event.detail["attempt"]) for event in events]


def rendering(report: Report, task_id: str) -> None:
    """A worker claimed the render (and then died)."""
    Report.objects.filter(pk=report.pk).update(render_status=RenderStatus.RENDERING, render_task_id=task_id)


def test_a_queued_render_whose_message_was_lost_is_queued_again(lost_render, django_capture_on_commit_callbacks):
    signed_at = fresh(lost_render).updated_at
    assert sweep_at(REPORT_RENDERS, signed_at + timedelta(minutes=14), django_capture_on_commit_callbacks) == ({}, 0)

    later = signed_at + timedelta(minutes=16)
    assert sweep_at(REPORT_RENDERS, later, django_capture_on_commit_callbacks) == ({"requeued": 1}, 1)
    report = fresh(lost_render)
    assert (report.render_status, report.render_task_id, report.updated_at) == (RenderStatus.QUEUED, "", later)
    assert sweeps_of(report) == [("requeued", "queued", 1)]
    assert AuditEvent.objects.get(object_uuid=report.uuid, username=SWEEPER).object_version == 1


def test_a_render_stranded_past_the_attempts_fails_with_a_reason_on_the_report_page(
    world, client, lost_render, django_capture_on_commit_callbacks
):
    start = fresh(lost_render).updated_at
    rendering(lost_render, "lost-1")
    assert sweep_at(REPORT_RENDERS, start + timedelta(hours=1), django_capture_on_commit_callbacks)[0] == {
        "requeued": 1
    }
    rendering(lost_render, "lost-2")
    assert sweep_at(REPORT_RENDERS, start + timedelta(hours=2), django_capture_on_commit_callbacks) == (
        {"failed": 1},
        0,
    )

    report = fresh(lost_render)
    assert (report.render_status, report.pdf_sha256, report.rendered_at) == (
        RenderStatus.FAILED,
        "",
        start + timedelta(hours=2),
    )
    assert report.render_error == (
        "The PDF was queued 2 times and no worker finished it (the background workers may be stopped, or their "
        "queue was lost). The signed report is unchanged; render it again or tell support."
    )
    assert sweeps_of(report) == [("requeued", "running", 1), ("failed", "running", 1)]
    client.force_login(world.users["clinician_a"])
    assertContains(client.get(reverse("report:detail", args=[report.uuid])), report.render_error)
    assertContains(client.get(reverse("report:render_status", args=[report.uuid])), report.render_error)


def test_render_again_after_giving_up_starts_a_fresh_count(world, lost_render, django_capture_on_commit_callbacks):
    start = fresh(lost_render).updated_at
    for hours in (1, 2):
        rendering(lost_render, f"lost-{hours}")
        sweep_at(REPORT_RENDERS, start + timedelta(hours=hours), django_capture_on_commit_callbacks)
    assert fresh(lost_render).render_status == RenderStatus.FAILED

    services.report_render_again(report=fresh(lost_render), by=world.users["clinician_a"])
    stranded_again = fresh(lost_render).updated_at + timedelta(minutes=16)
    assert sweep_at(REPORT_RENDERS, stranded_again, django_capture_on_commit_callbacks) == ({"requeued": 1}, 1)


def test_a_ready_pdf_is_never_touched(lost_render, django_capture_on_commit_callbacks):
    Report.objects.filter(pk=lost_render.pk).update(render_status=RenderStatus.FAILED, render_error="earlier")
    later = fresh(lost_render).updated_at + timedelta(days=30)
    assert sweep_at(REPORT_RENDERS, later, django_capture_on_commit_callbacks) == ({}, 0)
    assert fresh(lost_render).render_error == "earlier"


def test_a_stranded_packet_is_queued_again_then_fails_with_a_reason_on_its_status(
    world, client, django_capture_on_commit_callbacks
):
    board = meeting(world)
    add(world, board, "R-1")
    export = board_services.packet_export(meeting=board, by=world.users["coordinator_a"])  # message never sent
    later = export.updated_at + timedelta(minutes=16)
    assert sweep_at(PACKET_RENDERS, later, django_capture_on_commit_callbacks) == ({"requeued": 1}, 1)

    PacketExport.objects.filter(pk=export.pk).update(status=PacketStatus.RENDERING, task_id="lost", started_at=later)
    assert sweep_at(PACKET_RENDERS, later + timedelta(hours=1), django_capture_on_commit_callbacks)[0] == {"failed": 1}
    export.refresh_from_db()
    assert export.status == PacketStatus.FAILED
    assert export.error.startswith("The packet was queued 2 times and no worker finished it")
    client.force_login(world.users["coordinator_a"])
    assertContains(client.get(reverse("board:export_status", args=[export.uuid])), export.error)


# ---- against the real services: Redis, a render worker, PostgreSQL ---------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_render_whose_message_was_lost_yields_one_pdf_after_the_sweep(world, worker_environment, settings):
    app.control.purge()  # leftovers of an interrupted run, and the message signing sends: Redis "loses" it
    author = world.users["lab_scientist_a"]
    report = sign(submit(draft(assessed_sample(world.inst_a), author), author), world.users["clinician_a"])
    app.control.purge()
    assert fresh(report).render_status == RenderStatus.QUEUED

    assert sweep(REPORT_RENDERS, POLICY, now=fresh(report).updated_at + timedelta(minutes=16)) == {"requeued": 1}
    with celery_worker(worker_environment, queues="render"):
        ready = {RenderStatus.READY, RenderStatus.FAILED}
        wait_until(lambda: fresh(report).render_status in ready, 120, "the swept render", 0.2)
        rendered = fresh(report)
        # A duplicate message, as a redelivery or an overlapping sweep would send: the claim refuses it.
        render_report_pdf.delay(report.pk).get(timeout=60)

    report = fresh(report)
    pdfs = sorted((Path(settings.MEDIA_ROOT) / "reports").rglob("*.pdf"))
    assert report.render_status == RenderStatus.READY, report.render_error
    assert (report.render_task_id, report.rendered_at) == (rendered.render_task_id, rendered.rendered_at)
    assert [pdf.name for pdf in pdfs] == [Path(report.pdf.name).name]
    assert report.pdf_sha256 == hashlib.sha256(pdfs[0].read_bytes()).hexdigest()
