"""A tumour-board coordinator plans a meeting, puts two patients on its agenda, reorders them and exports the
packet, which a real worker renders to one PDF."""

import pytest
from playwright.sync_api import expect

from reports.tests.reporting import assessed_sample

pytestmark = pytest.mark.services


def add_to_agenda(page, study_id: str, question: str) -> None:
    page.get_by_label("Patient", exact=True).select_option(label=study_id)
    page.get_by_label("Question").fill(question)
    page.get_by_role("button", name="Add to the agenda").click()
    expect(page.get_by_role("link", name=study_id, exact=True)).to_be_visible()


def test_a_coordinator_builds_a_meeting_and_exports_the_packet(world, page, log_in, shot, worker):
    first, second = (assessed_sample(world.inst_a, accession).patient for accession in ("R1-E2E-B1", "R1-E2E-B2"))
    log_in(world.users["coordinator_a"])
    page.goto("/boards/")
    page.get_by_role("link", name="Plan a meeting").click()
    page.get_by_label("Date").fill("2026-12-08")
    page.get_by_label("Title").fill("Myeloma board, December")
    page.get_by_label("Attendees").fill("Dr A. Haematologist\nDr B. Pathologist")
    shot("meeting-form")
    page.get_by_role("button", name="Plan the meeting").click()
    expect(page.get_by_role("heading", name="Myeloma board, December", level=1)).to_be_visible()

    add_to_agenda(page, first.study_id, "Next line after lenalidomide?")
    add_to_agenda(page, second.study_id, "Is pomalidomide still an option?")
    page.get_by_role("button", name=f"Move {second.study_id} up").click()
    agenda = page.get_by_role("list").filter(has=page.get_by_role("heading", name=f"1. {second.study_id}"))
    expect(agenda.get_by_role("heading", level=3)).to_have_text([f"1. {second.study_id}", f"2. {first.study_id}"])
    shot("agenda-ordered")

    page.get_by_role("button", name="Export a new packet").click()
    download_link = page.get_by_role("link", name="Download the packet (PDF, 2 patients)")
    expect(download_link).to_be_visible(timeout=90_000)
    shot("packet-ready")
    # The packet opens in the browser (inline), so it is fetched with the page's session rather than downloaded.
    packet = page.request.get(download_link.get_attribute("href"))
    assert packet.status == 200 and packet.headers["content-type"] == "application/pdf"
    assert packet.body().startswith(b"%PDF") and len(packet.body()) > 10_000
