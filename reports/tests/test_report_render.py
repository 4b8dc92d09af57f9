"""The PDF rendered after signing: one file per version, its sha256 set once, a redelivered task harmless, and a
download that refuses bytes which no longer match the digest."""

import hashlib
from pathlib import Path

import pytest
from django.urls import reverse

from crbn_portal.celery import app
from crbn_portal.models import AuditEvent
from reports import services
from reports.models import RenderStatus, Report, ReportStatus, report_pdf_name
from reports.tests.reporting import assessed_sample, draft, fresh, sign, submit


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def queued(world):
    """Signed; the render task was not run (no commit in a test transaction)."""
    sample = assessed_sample(world.inst_a)
    return sign(
        submit(draft(sample, world.users["lab_scientist_a"]), world.users["lab_scientist_a"]),
        world.users["clinician_a"],
    )


def pdf_files(settings) -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / "reports").rglob("*.pdf"))


def test_render_tasks_go_to_the_render_queue():
    route = app.amqp.router.route({}, "reports.tasks.render_report_pdf")
    assert route["queue"].name == "render"


def test_signing_renders_one_pdf_with_its_sha256(world, eager, django_capture_on_commit_callbacks, settings):
    sample = assessed_sample(world.inst_a)
    report = submit(draft(sample, world.users["lab_scientist_a"]), world.users["lab_scientist_a"])

    with django_capture_on_commit_callbacks(execute=True):
        sign(report, world.users["clinician_a"])

    report = fresh(report)
    files = pdf_files(settings)
    assert (report.status, report.render_status) == (ReportStatus.SIGNED, RenderStatus.READY)
    assert len(files) == 1 and files[0].read_bytes().startswith(b"%PDF")
    assert report.pdf.name == report_pdf_name(report)
    assert report.pdf_sha256 == hashlib.sha256(files[0].read_bytes()).hexdigest()
    assert report.rendered_at is not None and report.render_task_id


def test_a_redelivered_render_yields_one_pdf(queued, settings):
    """The worker died after claiming the row and writing part of the file; the broker redelivers the task with
    its id, which resumes the claim and overwrites that file. Later deliveries find the PDF ready and do nothing."""
    Report.objects.filter(pk=queued.pk).update(render_status=RenderStatus.RENDERING, render_task_id="task-1")
    partial = Path(settings.MEDIA_ROOT) / report_pdf_name(queued)
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"%PDF-1.7 truncated")

    services.report_render_pdf(report_id=queued.pk, task_id="task-1")
    first = fresh(queued)
    services.report_render_pdf(report_id=queued.pk, task_id="task-1")
    services.report_render_pdf(report_id=queued.pk, task_id="task-2")

    report = fresh(queued)
    files = pdf_files(settings)
    assert report.render_status == RenderStatus.READY
    assert (report.pdf_sha256, report.rendered_at) == (first.pdf_sha256, first.rendered_at)
    assert files == [partial]
    assert hashlib.sha256(partial.read_bytes()).hexdigest() == report.pdf_sha256


def test_the_same_task_twice_renders_once(queued, settings):
    services.report_render_pdf(report_id=queued.pk, task_id="task-1")
    digest = fresh(queued).pdf_sha256
    services.report_render_pdf(report_id=queued.pk, task_id="task-1")

    assert fresh(queued).pdf_sha256 == digest
    assert len(pdf_files(settings)) == 1


def test_another_task_does_not_take_a_render_in_progress(queued, settings):
    Report.objects.filter(pk=queued.pk).update(render_status=RenderStatus.RENDERING, render_task_id="task-1")

    services.report_render_pdf(report_id=queued.pk, task_id="task-2")

    assert (fresh(queued).render_status, fresh(queued).render_task_id) == (RenderStatus.RENDERING, "task-1")
    assert pdf_files(settings) == []


def test_a_failed_render_is_recorded_and_can_be_queued_again(world, queued, monkeypatch, settings):
    def broken(html, *, base_url):
        raise OSError("no fonts")

    monkeypatch.setattr("reports.pdf.html_to_pdf", broken)
    services.report_render_pdf(report_id=queued.pk, task_id="task-1")
    failed = fresh(queued)
    assert (failed.render_status, failed.pdf_sha256) == (RenderStatus.FAILED, "")
    assert "could not be rendered" in failed.render_error

    monkeypatch.undo()
    again = services.report_render_again(report=failed, by=world.users["clinician_a"])
    assert again.render_status == RenderStatus.QUEUED
    services.report_render_pdf(report_id=queued.pk, task_id="task-2")
    assert fresh(queued).render_status == RenderStatus.READY
    assert len(pdf_files(settings)) == 1


def test_an_unsigned_report_is_never_rendered(world, settings):
    report = draft(assessed_sample(world.inst_a), world.users["clinician_a"])

    services.report_render_pdf(report_id=report.pk, task_id="task-1")

    assert fresh(report).render_status == RenderStatus.NONE
    assert pdf_files(settings) == []


# ---- download ---------------------------------------------------------------------------------------------------


@pytest.fixture
def rendered(queued):
    services.report_render_pdf(report_id=queued.pk, task_id="task-1")
    return fresh(queued)


def download(client, world, report):
    client.force_login(world.users["clinician_a"])
    return client.get(reverse("report:pdf", args=[report.uuid]))


def test_the_download_serves_the_pdf_whose_digest_matches(client, world, rendered):
    response = download(client, world, rendered)

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "R-2024-001-relapse-report-v1.pdf" in response["Content-Disposition"]
    assert hashlib.sha256(body).hexdigest() == rendered.pdf_sha256
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.object_uuid, event.object_version, event.detail) == (
        rendered.uuid,
        1,
        {"sha256": rendered.pdf_sha256},
    )


def test_a_tampered_pdf_is_not_served(client, world, rendered, settings):
    stored = Path(settings.MEDIA_ROOT) / rendered.pdf.name
    stored.write_bytes(stored.read_bytes().replace(b"%PDF", b"%PDF ", 1))

    response = download(client, world, rendered)

    assert response.status_code == 409
    assert b"does not match the digest" in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert "does not match" in event.detail["refused"]


def test_a_missing_pdf_is_not_served(client, world, rendered, settings):
    (Path(settings.MEDIA_ROOT) / rendered.pdf.name).unlink()

    assert download(client, world, rendered).status_code == 409


def test_a_pdf_not_yet_rendered_is_not_served(client, world, queued):
    response = download(client, world, queued)

    assert response.status_code == 409
    assert b"not ready" in response.content
