"""The report pages: who may open and do what (the matrix on every URL), what the page offers, and the audit
trail every step leaves."""

import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from crbn_portal.models import AuditEvent
from patients.tests.factories import TEST_PASSWORD, PatientFactory, SampleFactory, TreatmentLineFactory
from reports.models import RenderStatus, Report, ReportStatus
from reports.tests.reporting import amend, assessed_sample, draft, fresh, sign, signed, submit
from variants.models import FileKind, ParseRun, VariantFile

Action = AuditEvent.Action


@pytest.fixture
def sample(world):
    return assessed_sample(world.inst_a)


@pytest.fixture
def in_review(world, sample):
    return submit(draft(sample, world.users["lab_scientist_a"]), world.users["lab_scientist_a"])


def login(client: Client, world, persona: str) -> Client:
    client.force_login(world.users[persona])
    return client


def url(name: str, report: Report) -> str:
    return reverse(f"report:{name}", args=[report.uuid])


# ---- the permission matrix --------------------------------------------------------------------------------------

GET_PAGES = ("detail", "render_status", "pdf")
POST_ACTIONS = ("submit", "review", "return", "sign", "amend", "render_again")


@pytest.mark.parametrize("name", GET_PAGES + POST_ACTIONS)
def test_anonymous_visitors_are_sent_to_log_in(client, in_review, name):
    response = client.post(url(name, in_review)) if name in POST_ACTIONS else client.get(url(name, in_review))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["clinician_b", "researcher_a"])
@pytest.mark.parametrize("name", GET_PAGES + POST_ACTIONS)
def test_a_report_the_user_may_not_see_does_not_exist_for_them(client, world, in_review, persona, name):
    login(client, world, persona)

    response = (
        client.post(url(name, in_review), {"revision": 2}) if name in POST_ACTIONS else client.get(url(name, in_review))
    )

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["clinician_b", "researcher_a"])
def test_an_invisible_samples_reports_do_not_exist_for_them(client, world, sample, persona):
    login(client, world, persona)

    assert client.get(reverse("report:sample", args=[sample.uuid])).status_code == 404
    assert client.post(reverse("report:create", args=[sample.uuid])).status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("persona", ["lab_scientist_a", "clinician_a", "coordinator_a", "curator_a", "admin_a"])
def test_every_clinical_role_of_the_institution_reads_the_report(client, world, in_review, persona):
    login(client, world, persona)

    assert client.get(url("detail", in_review)).status_code == 200
    assert client.get(url("render_status", in_review)).status_code == 200


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("review", {"decision": "approve", "comment": ""}),
        ("return", {"comment": "no"}),
        ("sign", {"password": TEST_PASSWORD}),
    ],
)
def test_a_lab_scientist_is_forbidden_the_clinicians_actions(client, world, in_review, name, data):
    login(client, world, "lab_scientist_a")

    response = client.post(url(name, in_review), {"revision": in_review.revision, **data})

    assert response.status_code == 403
    assert fresh(in_review).status == ReportStatus.IN_REVIEW
    assert AuditEvent.objects.get(action__in=[Action.REVIEW, Action.RETURN, Action.SIGN]).detail == {"refused": "role"}


def test_a_lab_scientist_may_not_amend(client, world, sample):
    report = signed(sample, world.users["clinician_a"], world.users["clinician_a"])
    login(client, world, "lab_scientist_a")

    assert client.post(url("amend", report), {"reason": "x"}).status_code == 403


@pytest.mark.parametrize("persona", ["coordinator_a", "curator_a", "admin_a"])
def test_roles_that_only_read_cannot_submit_or_draft(client, world, sample, persona):
    report = draft(sample, world.users["clinician_a"])
    login(client, world, persona)

    assert client.post(url("submit", report), {"revision": report.revision}).status_code == 403
    assert client.post(reverse("report:create", args=[assessed_sample(world.inst_a, "R-2").uuid])).status_code == 403


def test_the_clinician_walks_the_whole_workflow_in_the_browser(client, world, sample):
    login(client, world, "clinician_a")

    response = client.post(reverse("report:create", args=[sample.uuid]))
    report = Report.objects.get()
    assertRedirects(response, url("detail", report))
    client.post(url("submit", report), {"revision": 1})
    client.post(url("sign", report), {"revision": 2, "password": TEST_PASSWORD})
    client.post(url("amend", report), {"reason": "Baseline arrived."})

    versions = list(Report.objects.order_by("version").values_list("version", "status"))
    assert versions == [(1, ReportStatus.SIGNED), (2, ReportStatus.DRAFT)]
    actions = list(
        AuditEvent.objects.exclude(action__in=[Action.LOGIN, Action.VIEW])
        .order_by("id")
        .values_list("action", "object_version")
    )
    assert actions == [(Action.DRAFT, 1), (Action.SUBMIT, 1), (Action.SIGN, 1), (Action.AMEND, 2)]


# ---- what the page shows and offers -----------------------------------------------------------------------------


def test_the_page_shows_the_document_and_the_clinicians_actions(client, world, in_review):
    response = login(client, world, "clinician_a").get(url("detail", in_review))

    assertContains(response, 'class="report"')  # the document preview, from the shared template
    assertContains(response, "In review")
    assertContains(response, 'name="password"')
    assertContains(response, 'value="approve"')
    assertContains(response, f'name="revision" value="{in_review.revision}"')
    event = AuditEvent.objects.get(action=Action.VIEW)
    assert (event.object_uuid, event.object_version, event.path) == (in_review.uuid, 1, url("detail", in_review))


def test_the_page_offers_a_lab_scientist_no_signature(client, world, in_review):
    response = login(client, world, "lab_scientist_a").get(url("detail", in_review))

    assertNotContains(response, 'name="password"')
    assertNotContains(response, 'value="approve"')


def test_the_author_is_not_offered_a_review(client, world, sample):
    report = submit(draft(sample, world.users["clinician_a"]), world.users["clinician_a"])

    response = login(client, world, "clinician_a").get(url("detail", report))

    assertNotContains(response, 'value="approve"')
    assertContains(response, 'name="password"')


def test_signing_waits_for_the_second_reviewer_where_required(client, world, in_review):
    world.inst_a.requires_second_reviewer = True
    world.inst_a.save()

    response = login(client, world, "clinician_a").get(url("detail", in_review))

    assertContains(response, "requires a second clinician")
    assertNotContains(response, 'name="password"')


def test_a_wrong_password_is_refused_and_audited_without_the_password(client, world, in_review):
    login(client, world, "clinician_a")

    response = client.post(
        url("sign", in_review), {"revision": in_review.revision, "password": "guess-1234"}, follow=True
    )

    assertContains(response, "The password is not correct")
    assert fresh(in_review).status == ReportStatus.IN_REVIEW
    event = AuditEvent.objects.get(action=Action.SIGN)
    assert event.detail == {"refused": ["The password is not correct: the report was not signed."]}
    assert "guess-1234" not in str(event.detail)


def test_a_stale_page_is_refused_with_who_changed_it(client, world, in_review):
    login(client, world, "clinician_a")

    response = client.post(url("sign", in_review), {"revision": 1, "password": TEST_PASSWORD}, follow=True)

    assertContains(response, "changed by lab_scientist_a")
    assert fresh(in_review).status == ReportStatus.IN_REVIEW


def test_reviews_and_returns_are_audited_with_the_version(client, world, in_review):
    login(client, world, "clinician_a")

    client.post(url("review", in_review), {"revision": 2, "decision": "approve", "comment": "Fine."})
    client.post(url("return", in_review), {"revision": 3, "comment": "Re-check purity."})

    events = AuditEvent.objects.filter(action__in=[Action.REVIEW, Action.RETURN]).order_by("id")
    assert [(event.action, event.object_version, event.detail["to"]) for event in events] == [
        (Action.REVIEW, 1, "in_review"),
        (Action.RETURN, 1, "returned"),
    ]
    assertContains(client.get(url("detail", in_review)), "Re-check purity.")


def test_the_render_status_polls_until_the_pdf_is_ready(client, world, in_review):
    report = sign(in_review, world.users["clinician_a"])
    login(client, world, "clinician_a")

    assertContains(client.get(url("render_status", report)), 'hx-trigger="every 2s"')
    Report.objects.filter(pk=report.pk).update(
        render_status=RenderStatus.READY, pdf="reports/x.pdf", pdf_sha256="a" * 64
    )
    ready = client.get(url("render_status", report))
    assertNotContains(ready, "hx-trigger")
    assertContains(ready, url("pdf", report))


def test_a_signed_version_links_its_amendment_and_back(client, world, sample):
    v1 = signed(sample, world.users["clinician_a"], world.users["clinician_a"])
    v2 = sign(submit(amend(v1, world.users["clinician_a"]), world.users["clinician_a"]), world.users["clinician_a"])
    login(client, world, "clinician_a")

    old = client.get(url("detail", v1))
    assertContains(old, "Superseded by")
    assertContains(old, url("detail", v2))
    assertNotContains(old, "Reason for amendment")
    assertContains(client.get(url("detail", v2)), "Baseline sample added.")


# ---- a sample's reports -----------------------------------------------------------------------------------------


def test_the_samples_page_offers_a_draft_once(client, world, sample):
    login(client, world, "clinician_a")
    page = reverse("report:sample", args=[sample.uuid])

    assertContains(client.get(page), "Draft a report")
    client.post(reverse("report:create", args=[sample.uuid]))
    assertNotContains(client.get(page), "Draft a report")
    response = client.post(reverse("report:create", args=[sample.uuid]), follow=True)
    assertContains(response, "already has a report being worked on")


def test_a_sample_without_an_assessment_explains_why_no_report(client, world):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), accession="R-NONE")
    login(client, world, "clinician_a")

    assertContains(client.get(reverse("report:sample", args=[sample.uuid])), "no completed assessment")
    response = client.post(reverse("report:create", args=[sample.uuid]), follow=True)
    assertContains(response, "no completed assessment yet")
    assert AuditEvent.objects.filter(action=Action.DRAFT).get().detail["refused"]


# ---- cost -------------------------------------------------------------------------------------------------------


def confirmed_file(sample, name: str, *runs: tuple[str, str]) -> VariantFile:
    """A confirmed file of the sample with parse runs (status, build), oldest first."""
    variant_file = VariantFile(
        sample=sample, original_name=name, sha256=uuid.uuid4().hex * 2, size=1, kind=FileKind.SMALL_VARIANTS
    )
    variant_file.stored.save(name, ContentFile(b"#"), save=False)
    variant_file.confirmed = True
    variant_file.save()
    for status, build in runs:
        ParseRun.objects.create(file=variant_file, status=status, build=build)
    return variant_file


def test_the_input_files_show_the_build_of_their_latest_successful_parse(client, world, in_review):
    sample = in_review.sample
    confirmed_file(sample, "rerun.vcf", (ParseRun.Status.SUCCEEDED, "GRCh37"), (ParseRun.Status.SUCCEEDED, "GRCh38"))
    confirmed_file(sample, "broken.vcf", (ParseRun.Status.FAILED, ""))
    login(client, world, "clinician_a")

    files = client.get(url("detail", in_review)).context["preview"].split("Input files", 1)[1]

    assert re.search(r"rerun\.vcf.*?<td>GRCh38</td>", files, re.S)
    assert re.search(r"broken\.vcf <span class=\"flag\">not used.*?<td>Not stated</td>", files, re.S)


def test_the_report_page_reads_lines_and_files_in_a_fixed_number_of_queries(client, world, in_review):
    def add_lines_and_files(numbers: range) -> None:
        for number in numbers:
            TreatmentLineFactory(patient=patient, line_number=number, drugs=["pomalidomide", "dexamethasone"])
            confirmed_file(in_review.sample, f"extra-{number}.vcf", (ParseRun.Status.SUCCEEDED, "GRCh38"))

    patient = in_review.sample.patient
    login(client, world, "clinician_a")
    add_lines_and_files(range(1, 2))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("detail", in_review)).status_code == 200

    add_lines_and_files(range(2, 6))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("detail", in_review))

    assertContains(response, "extra-5.vcf")
    assertContains(response, "Line 5")
    assert len(many.captured_queries) == len(few.captured_queries) <= 22
