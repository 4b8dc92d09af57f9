"""A clinician opens the worklist, reviews a relapse report, signs it and downloads its PDF (rendered by a real
worker); a clinician of another institution gets a 404 for the same report."""

import pytest
from playwright.sync_api import expect

from patients.tests.factories import TEST_PASSWORD
from reports.tests.reporting import assessed_sample, draft, submit

pytestmark = pytest.mark.services


@pytest.fixture
def report_in_review(world):
    author = world.users["lab_scientist_a"]
    sample = assessed_sample(world.inst_a, accession="R1-E2E-SIGN")
    return submit(draft(sample, author), author)


def test_a_clinician_reviews_signs_and_downloads_the_pdf(world, page, log_in, shot, worker, report_in_review):
    log_in(world.users["clinician_a"])
    page.goto("/worklist/")
    expect(page.get_by_role("heading", name="Worklist", level=1)).to_be_visible()
    shot("worklist")

    reports_awaiting_review = page.get_by_role("region", name="Reports awaiting review")
    row = reports_awaiting_review.get_by_role("row").filter(has_text="R1-E2E-SIGN")
    row.get_by_role("link", name="Report v1").click()
    expect(page.get_by_role("heading", name="Workflow")).to_be_visible()
    shot("report-in-review")

    page.get_by_label("Your password, to sign").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign report").click()
    download_link = page.get_by_role("link", name="Download PDF")
    expect(download_link).to_be_visible(timeout=90_000)
    shot("signed-pdf-ready")

    with page.expect_download() as download:
        download_link.click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_a_clinician_of_another_institution_gets_404(world, page, log_in, shot, report_in_review):
    log_in(world.users["clinician_b"])
    response = page.goto(f"/reports/{report_in_review.uuid}/")
    assert response.status == 404
    expect(page.get_by_text("R1-E2E-SIGN")).to_have_count(0)
    shot("not-found")
