"""The sample page: upload several files, confirm their sniffed kinds, watch the parse, read the findings."""

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from crbn_portal.models import AuditEvent
from patients.tests.factories import PatientFactory, SampleFactory
from variants import services
from variants.models import CopyNumberSegment, FileKind, ParseRun, SpliceJunction, VariantFile

# STAR SJ.out.tab, GRCh38: exon-10 skip (exon 11-9) 30 reads, inclusion 11-10 60 and 10-9 40 reads, and a
# junction far from CRBN. Skip fraction 30 / (30 + (60 + 40) / 2) = 0.375.
SJ_OUT_TAB = (
    b"chr3\t1000\t2000\t2\t2\t1\t99\t3\t50\n"
    b"chr3\t3151046\t3153423\t2\t2\t1\t30\t3\t50\n"
    b"chr3\t3151046\t3152455\t2\t2\t1\t60\t3\t50\n"
    b"chr3\t3152588\t3153423\t2\t2\t1\t40\t0\t50\n"
)
# CNVkit .cns: one copy of CRBN (0-based start 3100000), and a gain of IKZF1 (a pathway gene).
CNVKIT_CNS = (
    b"chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
    b"chr3\t3100000\t3200000\tCRBN\t-1.0\t1\t30.5\t40\t38.2\n"
    b"chr7\t50300000\t50400000\tIKZF1\t0.58\t3\t30.1\t40\t38.2\n"
)
UNRECOGNISED = b"Dear colleague,\nplease find the results attached.\n"


def sj_file(content: bytes = SJ_OUT_TAB, name: str = "relapse.SJ.out.tab") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def cns_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("relapse.cns", CNVKIT_CNS)


def page_url(sample) -> str:
    return reverse("variants:sample", args=[sample.uuid])


def upload_url(sample) -> str:
    return reverse("variants:file_upload", args=[sample.uuid])


def confirm_url(sample) -> str:
    return reverse("variants:file_confirm", args=[sample.uuid])


def status_url(sample) -> str:
    return reverse("variants:file_status", args=[sample.uuid])


def download_url(variant_file) -> str:
    return reverse("variants:file_download", args=[variant_file.sample.uuid, variant_file.uuid])


def confirm_data(*files: VariantFile, **overrides: str) -> dict[str, str]:
    """What the confirm form posts: each pending file's kind (as sniffed unless overridden) and tumour column."""
    data = {}
    for variant_file in files:
        data[f"{variant_file.uuid}-kind"] = overrides.get(variant_file.original_name, variant_file.kind)
        data[f"{variant_file.uuid}-tumour_sample"] = ""
    return data


@pytest.fixture
def sample(world):
    patient = PatientFactory(institution=world.inst_a, study_id="NBH-0001")
    return SampleFactory(patient=patient, accession="R-2024-001", genome_build="GRCh38")


@pytest.fixture
def eager(settings):
    """Confirming queues the Celery task on commit; run it in-process (the real worker is tested elsewhere).
    The captured on-commit callbacks run when the capture block ends, so the page is read after it."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def upload_both(lab, sample):
    response = lab.post(upload_url(sample), {"files": [sj_file(), cns_file()]}, follow=True)
    assert response.status_code == 200
    return response


def stored(sample, name: str) -> VariantFile:
    return VariantFile.objects.get(sample=sample, original_name=name)


# --- upload, confirm, parse, findings ------------------------------------------------------------------------------


def test_two_files_uploaded_at_once_wait_for_confirmation_with_their_sniffed_kinds(lab, sample):
    response = upload_both(lab, sample)

    junctions, segments = stored(sample, "relapse.SJ.out.tab"), stored(sample, "relapse.cns")
    assert (junctions.kind, junctions.dialect, junctions.confirmed) == (FileKind.JUNCTIONS, "STAR SJ.out.tab", False)
    assert (segments.kind, segments.dialect, segments.confirmed) == (FileKind.COPY_NUMBER, "CNVkit .cns", False)
    assert not ParseRun.objects.exists()
    assertContains(response, "relapse.SJ.out.tab: stored and recognised as STAR SJ.out.tab")
    assertContains(response, "Files waiting for confirmation")
    assertContains(response, f'name="{junctions.uuid}-kind"')
    assertContains(response, '<option value="junctions" selected>', html=False)
    assertContains(response, '<option value="copy_number" selected>', html=False)
    assertContains(response, "Confirm and parse 2 files")


def test_confirming_parses_both_files_and_the_page_shows_skip_fraction_and_copy_number(
    lab, sample, eager, django_capture_on_commit_callbacks
):
    upload_both(lab, sample)
    files = VariantFile.objects.filter(sample=sample)

    with django_capture_on_commit_callbacks(execute=True):
        lab.post(confirm_url(sample), confirm_data(*files))
    response = lab.get(page_url(sample))

    assert {run.status for run in ParseRun.objects.all()} == {ParseRun.Status.SUCCEEDED}
    assert SpliceJunction.objects.filter(sample=sample).count() == 3
    exon10 = response.context["findings"].exon10[0]
    assert (exon10.counts.skip_reads, exon10.counts.inclusion_downstream_reads) == (30, 60)
    assert (exon10.counts.inclusion_upstream_reads, exon10.fraction) == (40, 0.375)
    assertContains(response, "<strong>0.375</strong>", html=False)
    assertContains(response, '<td class="num">30</td>', html=False)
    [crbn_segment] = response.context["findings"].crbn.segments
    assert (crbn_segment.copy_number, crbn_segment.start) == (1.0, 3_100_001)
    assertContains(response, "3:3100001-3200000")
    assertContains(response, "Not assessed: no small-variant file has been parsed.")
    assert [row.gene for row in response.context["findings"].pathway.segments] == ["IKZF1"]
    assertContains(response, '<details class="pathway">', html=False)
    assertNotContains(response, "hx-trigger")
    assertContains(response, "2 files: 2 parsed.")


def test_a_corrected_kind_is_used_and_a_mismatch_fails_with_a_clear_error(
    lab, sample, eager, django_capture_on_commit_callbacks
):
    lab.post(upload_url(sample), {"files": [sj_file()]})
    junctions = stored(sample, "relapse.SJ.out.tab")

    with django_capture_on_commit_callbacks(execute=True):
        lab.post(confirm_url(sample), confirm_data(junctions, **{"relapse.SJ.out.tab": FileKind.EXPRESSION}))
    response = lab.get(page_url(sample))

    junctions.refresh_from_db()
    assert (junctions.kind, junctions.kind_overridden) == (FileKind.EXPRESSION, True)
    assert junctions.latest_run.status == ParseRun.Status.FAILED
    assertContains(response, "declared as expression, but it looks like STAR SJ.out.tab")
    assert not SpliceJunction.objects.exists()


def test_a_junction_file_without_crbn_reads_says_not_enough_junction_reads(
    lab, sample, eager, django_capture_on_commit_callbacks
):
    lab.post(upload_url(sample), {"files": [sj_file(b"chr3\t1000\t2000\t2\t2\t1\t99\t3\t50\n")]})
    with django_capture_on_commit_callbacks(execute=True):
        lab.post(confirm_url(sample), confirm_data(stored(sample, "relapse.SJ.out.tab")))
    response = lab.get(page_url(sample))

    assertContains(response, "Not enough junction reads")


# --- the status partial ----------------------------------------------------------------------------------------


def test_status_partial_polls_while_a_run_is_unfinished_and_stops_with_the_findings_when_done(lab, sample, world):
    lab.post(upload_url(sample), {"files": [sj_file()]})
    junctions = stored(sample, "relapse.SJ.out.tab")
    run = services.variant_file_confirm(variant_file=junctions, by=world.users["lab_scientist_a"])
    # A worker has claimed the run and read half of the file's 134 bytes.
    running_state = {"status": ParseRun.Status.RUNNING, "task_id": "worker-1", "records_read": 2, "bytes_read": 67}
    ParseRun.objects.filter(pk=run.pk).update(**running_state)

    running = lab.get(status_url(sample), headers={"HX-Request": "true"})

    assertContains(running, 'hx-trigger="every 1s"')
    assertContains(running, '<progress max="100" value="50"', html=False)
    assertContains(running, "50% of bytes")
    assertContains(running, "Parsing")
    assertContains(running, 'hx-swap-oob="innerHTML"')  # the live-region sentence changed: "1 file: 1 parsing."
    assertNotContains(running, 'id="findings"')

    services.parse_run_execute(run_id=run.pk, task_id="worker-1")
    seen = running.context["status_summary"]
    done = lab.get(status_url(sample), {"seen": seen}, headers={"HX-Request": "true"})

    assertNotContains(done, "hx-trigger")
    assertContains(done, "Parsed")
    assertContains(done, '<div id="findings" class="findings" hx-swap-oob="true">', html=False)
    assertContains(done, "<strong>0.375</strong>", html=False)
    assertContains(done, "1 file: 1 parsed.")


def test_status_partial_does_not_reannounce_an_unchanged_state(lab, sample, world):
    lab.post(upload_url(sample), {"files": [sj_file()]})
    services.variant_file_confirm(variant_file=stored(sample, "relapse.SJ.out.tab"), by=world.users["lab_scientist_a"])

    response = lab.get(status_url(sample), {"seen": "1 file: 1 queued."}, headers={"HX-Request": "true"})

    assertContains(response, 'hx-trigger="every 1s"')
    assertNotContains(response, "hx-swap-oob")


def test_the_page_loads_htmx_from_the_portals_own_static_files(lab, sample):
    response = lab.get(page_url(sample))

    assertContains(response, '<script src="/static/django_htmx/htmx-2.min.js" defer></script>', html=False)
    assertNotContains(response, "unpkg")
    assertNotContains(response, "cdn")


# --- refusals ---------------------------------------------------------------------------------------------------


def test_a_byte_identical_reupload_is_recognised_with_its_date_and_uploader(lab, sample):
    lab.post(upload_url(sample), {"files": [sj_file()]})

    response = lab.post(upload_url(sample), {"files": [sj_file(name="renamed.tab")]}, follow=True)

    assert VariantFile.objects.filter(sample=sample).count() == 1
    assertContains(response, "renamed.tab: already uploaded on")
    assertContains(response, "by lab_scientist_a (as relapse.SJ.out.tab)")


def test_empty_and_unrecognised_files_get_clear_messages_and_nothing_is_parsed(lab, sample):
    files = [sj_file(b"", name="empty.tab"), SimpleUploadedFile("letter.txt", UNRECOGNISED), cns_file()]

    response = lab.post(upload_url(sample), {"files": files}, follow=True)

    assertContains(response, "empty.tab: the file is empty; nothing was stored.")
    assertContains(response, "letter.txt: the format is not recognised; expected one of")
    assert not VariantFile.objects.filter(original_name="empty.tab").exists()
    # The unrecognised file's bytes are kept with a failed run giving the reason; it offers nothing to confirm.
    letter = stored(sample, "letter.txt")
    assertNotContains(response, f'name="{letter.uuid}-kind"')
    assert letter.latest_run.status == ParseRun.Status.FAILED
    assert not ParseRun.objects.exclude(status=ParseRun.Status.FAILED).exists()
    assertContains(response, "Confirm and parse 1 file<", html=False)


def test_a_file_over_the_size_limit_is_refused_by_name(lab, sample, settings):
    settings.CRBN_UPLOAD_MAX_BYTES = 100

    response = lab.post(upload_url(sample), {"files": [sj_file(), cns_file()]}, follow=True)

    assertContains(response, "relapse.SJ.out.tab: the file is 134 bytes; the limit is 100 bytes.")
    assertContains(response, "relapse.cns: the file is")
    assert not VariantFile.objects.exists()


def test_posting_no_file_shows_the_form_error(lab, sample):
    response = lab.post(upload_url(sample), {})

    assert response.status_code == 400
    assertContains(response, "This field is required.", status_code=400)


def test_confirm_does_not_touch_a_file_uploaded_after_the_page_was_drawn(lab, sample):
    lab.post(upload_url(sample), {"files": [sj_file()]})
    seen = stored(sample, "relapse.SJ.out.tab")
    lab.post(upload_url(sample), {"files": [cns_file()]})

    lab.post(confirm_url(sample), confirm_data(seen))

    assert list(VariantFile.objects.filter(confirmed=True)) == [seen]


# --- who may do what ----------------------------------------------------------------------------------------------


def test_a_clinician_of_the_institution_reads_the_page_but_may_not_upload_or_confirm(client, world, sample):
    client.force_login(world.users["clinician_a"])

    page = client.get(page_url(sample))

    assert page.status_code == 200
    assertNotContains(page, "Upload files")
    assert client.post(upload_url(sample), {"files": [sj_file()]}).status_code == 403
    assert client.post(confirm_url(sample), {}).status_code == 403
    assert not VariantFile.objects.exists()


@pytest.mark.parametrize("role", ["lab_scientist_a", "admin_a", "superuser"])
def test_uploader_roles_may_upload(client, world, sample, role):
    client.force_login(world.users[role])

    assert client.post(upload_url(sample), {"files": [sj_file()]}).status_code == 302
    assert VariantFile.objects.filter(sample=sample).count() == 1


def test_a_clinician_of_another_institution_gets_404_everywhere(client, world, sample, lab):
    lab.post(upload_url(sample), {"files": [sj_file()]})
    variant_file = stored(sample, "relapse.SJ.out.tab")
    client.force_login(world.users["clinician_b"])

    assert client.get(page_url(sample)).status_code == 404
    assert client.get(status_url(sample)).status_code == 404
    assert client.get(download_url(variant_file)).status_code == 404
    assert client.post(upload_url(sample), {"files": [sj_file(name="other.tab")]}).status_code == 404
    assert client.post(confirm_url(sample), confirm_data(variant_file)).status_code == 404
    assert VariantFile.objects.filter(confirmed=True).count() == 0


def test_anonymous_visitors_are_sent_to_log_in_and_htmx_polls_redirect_the_whole_page(client, sample):
    assert client.get(page_url(sample)).url.startswith(reverse("login"))

    poll = client.get(status_url(sample), headers={"HX-Request": "true"})

    assert poll.headers["HX-Redirect"].startswith(reverse("login"))


# --- download and audit --------------------------------------------------------------------------------------------


def test_download_returns_the_exact_bytes_as_an_attachment_and_is_audited(lab, sample, world):
    gzipped = gzip.compress(SJ_OUT_TAB)
    variant_file, _ = services.variant_file_upload(
        sample=sample, upload=SimpleUploadedFile("calls.tab.gz", gzipped), by=world.users["lab_scientist_a"]
    )
    lab.force_login(world.users["clinician_a"])  # anyone who may see the sample may download its files

    response = lab.get(download_url(variant_file))

    assert b"".join(response.streaming_content) == gzipped
    assert response.headers["Content-Disposition"] == 'attachment; filename="calls.tab.gz"'
    assert response.headers["Content-Type"] == "application/octet-stream"
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert (event.username, event.object_uuid) == ("clinician_a", variant_file.uuid)


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def test_every_view_records_an_audit_event(lab, sample, eager, django_capture_on_commit_callbacks):
    lab.get(page_url(sample))
    assert (last_event().action, last_event().object_uuid) == (AuditEvent.Action.VIEW, sample.uuid)

    lab.post(upload_url(sample), {"files": [sj_file()]})
    junctions = stored(sample, "relapse.SJ.out.tab")
    assert (last_event().action, last_event().object_uuid) == (AuditEvent.Action.UPLOAD, junctions.uuid)

    with django_capture_on_commit_callbacks(execute=True):
        lab.post(confirm_url(sample), confirm_data(junctions))
    assert (last_event().action, last_event().object_uuid) == (AuditEvent.Action.CONFIRM, junctions.uuid)

    lab.get(status_url(sample))
    assert (last_event().action, last_event().detail) == (AuditEvent.Action.VIEW, {"part": "file status"})


# --- escaping and query count -----------------------------------------------------------------------------------


def test_html_in_the_accession_and_file_name_is_escaped(lab, world):
    patient = PatientFactory(institution=world.inst_a)
    sample = SampleFactory(patient=patient, accession="<script>x()</script>")

    response = lab.post(upload_url(sample), {"files": [sj_file(name="<img src=x onerror=alert(1)>.tab")]}, follow=True)

    assertNotContains(response, "<script>x()</script>")
    assertContains(response, "&lt;script&gt;x()&lt;/script&gt;")
    assertNotContains(response, "<img src=x")
    assertContains(response, "&lt;img src=x onerror=alert(1)&gt;.tab")


def test_the_page_costs_the_same_queries_for_one_file_or_many(lab, sample, world, django_assert_num_queries):
    by = world.users["lab_scientist_a"]

    def add_parsed_file(number: int) -> None:
        content = SJ_OUT_TAB + f"chr3\t{3151046 + number}\t3153423\t2\t2\t1\t1\t0\t50\n".encode()
        variant_file, _ = services.variant_file_upload(sample=sample, upload=sj_file(content), by=by)
        run = services.variant_file_confirm(variant_file=variant_file, by=by)
        services.parse_run_execute(run_id=run.pk, task_id=f"test-{number}")

    add_parsed_file(0)
    with CaptureQueriesContext(connection) as one_file:
        lab.get(page_url(sample))
    for number in range(1, 5):
        add_parsed_file(number)
    with django_assert_num_queries(len(one_file.captured_queries)):
        response = lab.get(page_url(sample))

    assert len(response.context["findings"].exon10) == 5
    assert CopyNumberSegment.objects.count() == 0
