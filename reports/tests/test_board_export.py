"""The tumour-board packet: one PDF (cover with the agenda, a page per patient, the meeting's name and "page X of
Y" on every page), rendered on the render queue with its progress in the row, kept with its sha256 and maker, and
never overwritten by a later export."""

import hashlib
import re
from io import BytesIO
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from crbn_portal.celery import app
from crbn_portal.models import AuditEvent
from reports import board_packet, board_services
from reports.board_models import PacketExport, PacketStatus
from reports.tests.boarding import add, meeting


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def board(world):
    board = meeting(world, title="Northbridge myeloma board")
    add(world, board, "R-1", question="Pomalidomide-based triplet or a trial?")
    add(world, board, "R-2", question="Is a CELMoD reasonable?")
    return board


def export_now(world, board, django_capture_on_commit_callbacks) -> PacketExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = board_services.packet_export(meeting=board, by=world.users["coordinator_a"])
    return PacketExport.objects.get(pk=export.pk)


def pages_text(export: PacketExport) -> list[str]:
    with export.pdf.open("rb") as stored:
        reader = PdfReader(BytesIO(stored.read()))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def test_packet_tasks_go_to_the_render_queue():
    route = app.amqp.router.route({}, "reports.tasks.render_board_packet")
    assert route["queue"].name == "render"


def test_export_renders_a_cover_and_one_page_per_patient(world, board, eager, django_capture_on_commit_callbacks):
    export = export_now(world, board, django_capture_on_commit_callbacks)

    assert (export.status, export.done, export.total) == (PacketStatus.READY, 2, 2)
    assert export.created_by == world.users["coordinator_a"]
    with export.pdf.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == export.pdf_sha256
    cover, first, second = pages_text(export)
    assert "Agenda" in cover and "ST-R-1" in cover and "Is a CELMoD reasonable?" in cover
    assert "1. ST-R-1" in first and "Pomalidomide-based triplet or a trial?" in first
    assert "CRBN verdict per drug" in first and "Lenalidomide" in first and "Refractoriness" in first
    assert "2. ST-R-2" in second and "Is a CELMoD reasonable?" in second
    for number, text in enumerate((cover, first, second), start=1):
        assert "Northbridge myeloma board" in text and f"Page {number} of 3" in text


def test_the_packet_never_shows_the_mrn(world, board, eager, django_capture_on_commit_callbacks):
    item = board.items.first()
    item.patient.mrn = "MRN-SECRET-77"
    item.patient.save()

    export = export_now(world, board, django_capture_on_commit_callbacks)

    assert not any("MRN-SECRET-77" in text for text in pages_text(export))


def test_a_new_export_keeps_the_old_one(world, board, eager, django_capture_on_commit_callbacks, settings):
    first = export_now(world, board, django_capture_on_commit_callbacks)
    first_bytes = Path(first.pdf.path).read_bytes()

    second = export_now(world, board, django_capture_on_commit_callbacks)

    assert first.pdf.name != second.pdf.name
    assert Path(first.pdf.path).read_bytes() == first_bytes
    assert hashlib.sha256(first_bytes).hexdigest() == PacketExport.objects.get(pk=first.pk).pdf_sha256
    assert len(list((Path(settings.MEDIA_ROOT) / "boards").rglob("*.pdf"))) == 2


def test_progress_counts_patients_in_the_row_before_the_pdf_is_laid_out(world, board, monkeypatch):
    export = board_services.packet_export(meeting=board, by=world.users["coordinator_a"])
    seen = []

    def layout(html, *, base_url):
        seen.append(PacketExport.objects.values_list("status", "done", "total").get(pk=export.pk))
        return b"%PDF-1.7 packet"

    monkeypatch.setattr(board_packet, "html_to_pdf", layout)
    board_services.packet_render(export_id=export.pk, task_id="task-1")

    assert seen == [(PacketStatus.RENDERING, 2, 2)]


def test_a_redelivered_task_renders_once(world, board, monkeypatch):
    export = board_services.packet_export(meeting=board, by=world.users["coordinator_a"])
    renders = []
    monkeypatch.setattr(board_packet, "html_to_pdf", lambda html, base_url: renders.append(1) or b"%PDF-1.7 x")

    board_services.packet_render(export_id=export.pk, task_id="task-1")
    board_services.packet_render(export_id=export.pk, task_id="task-1")
    board_services.packet_render(export_id=export.pk, task_id="task-2")

    assert len(renders) == 1
    assert PacketExport.objects.get(pk=export.pk).status == PacketStatus.READY


def test_a_failed_render_says_so(world, board, monkeypatch):
    export = board_services.packet_export(meeting=board, by=world.users["coordinator_a"])

    def broken(html, *, base_url):
        raise OSError("fonts missing")

    monkeypatch.setattr(board_packet, "html_to_pdf", broken)
    board_services.packet_render(export_id=export.pk, task_id="task-1")

    export = PacketExport.objects.get(pk=export.pk)
    assert (export.status, export.pdf_sha256, export.error) == (PacketStatus.FAILED, "", board_services.RENDER_FAILED)


def test_an_empty_agenda_cannot_be_exported(world, client):
    board = meeting(world)
    client.force_login(world.users["coordinator_a"])

    response = client.post(reverse("board:export", args=[board.uuid]), follow=True)

    assert "The agenda is empty" in response.content.decode()
    assert not PacketExport.objects.exists()


def test_export_view_queues_and_the_status_polls_until_ready(world, board, client, django_capture_on_commit_callbacks):
    client.force_login(world.users["coordinator_a"])
    response = client.post(reverse("board:export", args=[board.uuid]))
    export = PacketExport.objects.get()
    status_url = reverse("board:export_status", args=[export.uuid])

    polled = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    board_services.packet_render(export_id=export.pk, task_id="task-1")
    finished = client.get(status_url, headers={"HX-Request": "true"}).content.decode()

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_uuid=export.uuid).exists()
    assert 'hx-trigger="every 1s"' in polled and "Queued" in polled and "<progress" in polled
    assert "hx-trigger" not in finished and reverse("board:export_pdf", args=[export.uuid]) in finished


def test_download_serves_the_verified_packet_to_a_clinician(
    world, board, eager, django_capture_on_commit_callbacks, client
):
    export = export_now(world, board, django_capture_on_commit_callbacks)
    client.force_login(world.users["clinician_a"])

    response = client.get(reverse("board:export_pdf", args=[export.uuid]))

    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(body).hexdigest() == export.pdf_sha256
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD, object_uuid=export.uuid).exists()


def test_a_tampered_packet_is_not_served(world, board, eager, django_capture_on_commit_callbacks, client):
    export = export_now(world, board, django_capture_on_commit_callbacks)
    Path(export.pdf.path).write_bytes(b"%PDF-1.7 something else")
    client.force_login(world.users["coordinator_a"])

    response = client.get(reverse("board:export_pdf", args=[export.uuid]))

    assert response.status_code == 409
    assert "no longer matches its sha256" in response.content.decode()
