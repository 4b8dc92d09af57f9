"""The files API: lab systems upload and confirm in one call, then poll the file's status."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from crbn_portal.models import AuditEvent
from variants import services
from variants.models import FileKind, ParseRun, SpliceJunction, VariantFile

from .test_sample_page import CNVKIT_CNS, SJ_OUT_TAB, UNRECOGNISED


def files_url(sample) -> str:
    return f"/api/v1/samples/{sample.uuid}/files/"


def file_url(variant_file_uuid) -> str:
    return f"/api/v1/files/{variant_file_uuid}/"


def part(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def api(world) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users["lab_scientist_a"])
    return client


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def post_files(api, sample, *parts, **fields):
    return api.post(files_url(sample), {"file": list(parts), **fields}, format="multipart")


def test_upload_confirms_and_queues_in_one_call_and_the_status_endpoint_reports_success(
    api, sample, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_files(api, sample, part("relapse.SJ.out.tab", SJ_OUT_TAB))

    assert response.status_code == 201
    [created] = response.json()["files"]
    assert (created["kind"], created["dialect"], created["confirmed"]) == ("junctions", "STAR SJ.out.tab", True)
    assert created["run"]["status"] == "queued"
    assert created["download_url"].endswith(f"/samples/{sample.uuid}/files/{created['uuid']}/download/")

    status = api.get(file_url(created["uuid"])).json()

    assert (status["run"]["status"], status["run"]["percent"], status["run"]["finished"]) == ("succeeded", 100, True)
    assert (status["run"]["records_read"], status["run"]["records_kept"], status["run"]["build"]) == (4, 3, "GRCh38")
    assert status["run"]["warnings"] == ["The file does not state its genome build; the sample's GRCh38 is assumed."]
    assert SpliceJunction.objects.filter(sample=sample).count() == 3


def test_several_file_parts_with_a_kind_and_tumour_sample(api, sample):
    response = post_files(
        api, sample, part("a.tab", SJ_OUT_TAB), part("b.cns", CNVKIT_CNS), kind="", tumour_sample="TUMOR"
    )

    assert response.status_code == 201
    assert sorted(f["kind"] for f in response.json()["files"]) == ["copy_number", "junctions"]
    assert set(VariantFile.objects.values_list("tumour_sample", flat=True)) == {"TUMOR"}
    assert ParseRun.objects.filter(status=ParseRun.Status.QUEUED).count() == 2


def test_a_byte_identical_reupload_returns_200_with_the_existing_file(api, sample):
    first = post_files(api, sample, part("relapse.SJ.out.tab", SJ_OUT_TAB)).json()["files"][0]

    again = post_files(api, sample, part("copy.tab", SJ_OUT_TAB))

    assert again.status_code == 200
    assert [f["uuid"] for f in again.json()["files"]] == [first["uuid"]]
    assert ParseRun.objects.count() == 1


def test_a_file_uploaded_on_the_page_and_still_pending_is_confirmed_by_the_api(api, sample, world):
    services.variant_file_upload(sample=sample, upload=part("x.tab", SJ_OUT_TAB), by=world.users["lab_scientist_a"])

    response = post_files(api, sample, part("x.tab", SJ_OUT_TAB))

    assert response.status_code == 201
    assert response.json()["files"][0]["confirmed"] is True


def test_a_chosen_kind_overrides_the_sniffed_one(api, sample):
    response = post_files(api, sample, part("relapse.SJ.out.tab", SJ_OUT_TAB), kind=FileKind.EXPRESSION)

    assert (response.json()["files"][0]["kind"], response.json()["files"][0]["kind_overridden"]) == (
        "expression",
        True,
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("huge.tab", SJ_OUT_TAB, "huge.tab: the file is 134 bytes; the limit is 100 bytes."),
        ("empty.tab", b"", "empty.tab: the file is empty; nothing was stored."),
        ("letter.txt", UNRECOGNISED, "letter.txt: the format is not recognised; expected one of"),
    ],
)
def test_refused_files_give_400_with_the_file_name_and_nothing_is_parsed(api, sample, settings, name, content, message):
    settings.CRBN_UPLOAD_MAX_BYTES = 100

    response = post_files(api, sample, part(name, content))

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error.startswith(message)
    # Nothing was parsed; an unrecognised file alone is kept, with a failed run that gives the reason.
    assert not ParseRun.objects.exclude(status=ParseRun.Status.FAILED).exists()
    assert list(ParseRun.objects.values_list("error", flat=True)) == ([error] if name == "letter.txt" else [])


def test_good_files_of_a_mixed_call_go_through_and_the_bad_ones_are_named(api, sample):
    response = post_files(api, sample, part("good.tab", SJ_OUT_TAB), part("empty.tab", b""))

    assert response.status_code == 400
    assert [f["original_name"] for f in response.json()["files"]] == ["good.tab"]
    assert response.json()["errors"] == ["empty.tab: the file is empty; nothing was stored."]


def test_a_post_without_a_file_is_a_400(api, sample):
    response = api.post(files_url(sample), {}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()


def test_the_list_shows_every_file_with_its_latest_run(api, sample):
    post_files(api, sample, part("relapse.SJ.out.tab", SJ_OUT_TAB))

    response = api.get(files_url(sample))

    assert response.status_code == 200
    [listed] = response.json()["files"]
    assert (listed["original_name"], listed["run"]["status"], listed["uploaded_by"]) == (
        "relapse.SJ.out.tab",
        "queued",
        "lab_scientist_a",
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LIST, object_uuid=sample.uuid).exists()


def test_a_clinician_reads_the_files_but_may_not_upload(world, sample):
    client = APIClient()
    client.force_authenticate(world.users["clinician_a"])

    assert client.get(files_url(sample)).status_code == 200
    assert post_files(client, sample, part("x.tab", SJ_OUT_TAB)).status_code == 403
    assert not VariantFile.objects.exists()


def test_another_institution_gets_404_for_the_sample_and_its_files(api, world, sample):
    uploaded = post_files(api, sample, part("x.tab", SJ_OUT_TAB)).json()["files"][0]
    client = APIClient()
    client.force_authenticate(world.users["clinician_b"])

    assert client.get(files_url(sample)).status_code == 404
    assert client.get(file_url(uploaded["uuid"])).status_code == 404
    assert post_files(client, sample, part("y.tab", SJ_OUT_TAB)).status_code == 404


def test_anonymous_requests_are_refused(sample):
    client = APIClient()

    assert client.get(files_url(sample)).status_code == 401
    assert post_files(client, sample, part("x.tab", SJ_OUT_TAB)).status_code == 401
