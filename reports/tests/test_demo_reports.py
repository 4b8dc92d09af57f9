"""seed_demo opens with a relapse report in each state of the workflow at both institutions, the versions in force
signed with the demo password and rendered to PDF; and --force refuses to replace a demo that holds signed reports,
since signed reports are never deleted."""

import hashlib
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patients.models import Patient, Sample
from patients.tests.factories import InstitutionFactory
from reports.models import RenderStatus, Report, ReportReview, ReportStatus, ReviewDecision
from reports.receivers import AMENDMENT_REASON, RETURN_COMMENT
from reports.tests.reporting import assessed_sample, draft, submit
from rules.models import JobStatus

pytestmark = pytest.mark.django_db
SIZE = ("--patients-per-institution", "30")


@pytest.fixture
def seeded() -> str:
    out = io.StringIO()
    call_command("seed_demo", *SIZE, stdout=out)
    return out.getvalue()


def test_the_demo_opens_with_a_report_in_each_state_at_both_institutions(seeded):
    """One seed for every check: seeding renders PDFs, which costs seconds."""
    for code in ("NBH", "LCC"):
        assert_each_state(code)
        assert_drafted_by_the_lab_and_settled_by_the_clinician(code)
    assert_versions_in_force_have_verified_pdfs()
    # Only the versions in force are rendered while seeding; the worker renders the superseded ones later.
    amended = Report.objects.filter(status=ReportStatus.AMENDED)
    assert set(amended.values_list("render_status", flat=True)) == {RenderStatus.QUEUED}
    assert "Demo reports: NBH signed, amended, returned, in review, draft; LCC" in seeded
    assert "4 PDFs rendered, 2 left to the render worker" in seeded


def assert_each_state(code: str) -> None:
    reports = Report.objects.filter(sample__institution__code=code).select_related("sample", "assessment")
    assert sorted((report.status, report.version) for report in reports) == [
        ("amended", 1), ("draft", 1), ("in_review", 1), ("returned", 1), ("signed", 1), ("signed", 2),
    ]  # fmt: skip
    assert {report.sample.timepoint for report in reports} == {Sample.Timepoint.FIRST_RELAPSE}
    assert {report.assessment.status for report in reports} == {JobStatus.DONE}


def assert_drafted_by_the_lab_and_settled_by_the_clinician(code: str) -> None:
    lab, clinician = f"lab.{code.lower()}", f"clinician.{code.lower()}"
    reports = Report.objects.filter(sample__institution__code=code)
    assert set(reports.filter(version=1).values_list("created_by__username", flat=True)) == {lab}
    assert set(reports.exclude(signed_by=None).values_list("signed_by__username", flat=True)) == {clinician}
    returned = reports.get(status=ReportStatus.RETURNED)
    review = ReportReview.objects.get(report=returned)
    assert (returned.return_comment, review.decision, review.reviewer.username) == (
        RETURN_COMMENT,
        ReviewDecision.RETURN,
        clinician,
    )
    amendment = reports.get(version=2)
    assert amendment.previous.status == ReportStatus.AMENDED
    assert (amendment.amendment_reason, amendment.created_by.username) == (AMENDMENT_REASON, clinician)


def assert_versions_in_force_have_verified_pdfs() -> None:
    signed = Report.objects.filter(status=ReportStatus.SIGNED)
    assert signed.count() == 4
    for report in signed:
        data = report.pdf.read()
        assert report.render_status == RenderStatus.READY and data.startswith(b"%PDF")
        assert hashlib.sha256(data).hexdigest() == report.pdf_sha256


def test_force_refuses_to_replace_a_demo_with_signed_reports(seeded):
    before = (Report.objects.count(), Patient.objects.count())

    with pytest.raises(CommandError, match="signed reports are never deleted"):
        call_command("seed_demo", "--force", *SIZE, stdout=io.StringIO())

    assert (Report.objects.count(), Patient.objects.count()) == before


def test_force_deletes_unsigned_reports_before_the_assessments_they_state(world):
    """Rules deletes the assessments, which reports PROTECT: the reports' clearing has to run first."""
    author = world.users["lab_scientist_a"]
    submit(draft(assessed_sample(world.inst_a, "OLD-1"), author), author)
    draft(assessed_sample(InstitutionFactory(code="OLD"), "OLD-2"), world.users["superuser"])

    call_command("seed_demo", "--force", *SIZE, stdout=io.StringIO())

    assert not Report.objects.filter(sample__accession__startswith="OLD-").exists()
    assert set(Report.objects.values_list("sample__institution__code", flat=True)) == {"NBH", "LCC"}
