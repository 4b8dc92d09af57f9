"""A .tbi/.csi uploaded with its bgzip VCF (the page's multi-file upload or the API) is kept beside it and read by
its parse; one that does not match is kept but ignored, with a warning; one without its file is refused."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from crbn_portal.models import AuditEvent
from variants import services
from variants.models import ParseRun, VariantFile

from .test_files_api import files_url
from .test_sample_page import confirm_data, confirm_url, upload_url
from .test_vcf import bgzip_with_index, crbn_cohort_vcf, mutect2_record


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def vcf_files(tmp_path: Path) -> dict[str, bytes]:
    """cohort.vcf.gz and its .tbi; and another version of it, one record longer (a re-called file)."""
    compressed = bgzip_with_index(tmp_path, crbn_cohort_vcf(tmp_path))
    grown = tmp_path / "grown" / "cohort.vcf"
    grown.parent.mkdir()
    grown.write_text((tmp_path / "cohort.vcf").read_text() + mutect2_record(20_000, chrom="chrX") + "\n")
    return {
        "vcf": compressed.read_bytes(),
        "tbi": Path(f"{compressed}.tbi").read_bytes(),
        "longer vcf": bgzip_with_index(grown.parent, grown).read_bytes(),
    }


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def index_beside(variant_file: VariantFile) -> Path:
    return Path(f"{variant_file.stored.path}.tbi")


def parse_confirmed(lab, sample, django_capture_on_commit_callbacks) -> ParseRun:
    with django_capture_on_commit_callbacks(execute=True):
        lab.post(confirm_url(sample), confirm_data(*VariantFile.objects.filter(sample=sample)))
    return ParseRun.objects.get()


def test_names_pair_each_file_with_its_index() -> None:
    files = [upload(name, b"x") for name in ("a.vcf.gz", "b.vcf.gz.CSI", "a.vcf.gz.tbi", "c.vcf.gz.tbi", ".tbi")]
    pairs, alone = services.uploads_paired(files)
    assert [(f.name, i.name if i else None) for f, i in pairs] == [("a.vcf.gz", "a.vcf.gz.tbi"), (".tbi", None)]
    assert [index.name for index in alone] == ["b.vcf.gz.CSI", "c.vcf.gz.tbi"]


def test_an_index_uploaded_with_its_vcf_is_kept_beside_it_and_read_by_the_parse(
    lab, sample, vcf_files, eager, django_capture_on_commit_callbacks
):
    response = lab.post(
        upload_url(sample),
        {"files": [upload("cohort.vcf.gz.tbi", vcf_files["tbi"]), upload("cohort.vcf.gz", vcf_files["vcf"])]},
        follow=True,
    )
    [variant_file] = VariantFile.objects.filter(sample=sample)  # the index is no file of its own
    assert variant_file.original_name == "cohort.vcf.gz"
    assert index_beside(variant_file).read_bytes() == vcf_files["tbi"]
    assert "cohort.vcf.gz.tbi: kept as the index of cohort.vcf.gz" in response.content.decode()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.UPLOAD, detail__index="cohort.vcf.gz.tbi").get()
    assert event.detail["matches"] is True

    run = parse_confirmed(lab, sample, django_capture_on_commit_callbacks)
    assert (run.status, run.records_read, run.records_kept) == (ParseRun.Status.SUCCEEDED, 3, 3)
    assert any("read through the index" in warning for warning in run.warnings)
    # A region query gives no line numbers: the page says where the rows came from instead of "line 0".
    page = lab.get(reverse("variants:sample", args=[sample.uuid])).content.decode()
    assert page.count("cohort.vcf.gz, read by region (no line number)") == 3 and "line 0" not in page


def test_an_index_of_another_version_is_kept_but_ignored_with_a_warning(
    lab, sample, vcf_files, eager, django_capture_on_commit_callbacks
):
    """The lab re-called the sample but sent the old index."""
    files = [upload("cohort.vcf.gz", vcf_files["longer vcf"]), upload("cohort.vcf.gz.tbi", vcf_files["tbi"])]
    response = lab.post(upload_url(sample), {"files": files}, follow=True)
    assert "cohort.vcf.gz.tbi: does not match the file" in response.content.decode()
    assert "is read without it" in response.content.decode()
    assert index_beside(VariantFile.objects.get()).is_file()

    run = parse_confirmed(lab, sample, django_capture_on_commit_callbacks)
    assert (run.status, run.records_read, run.records_kept) == (ParseRun.Status.SUCCEEDED, 8, 3)
    assert any("does not match the file" in warning and "read without it" in warning for warning in run.warnings)


def test_an_index_uploaded_after_its_file_joins_it_and_one_without_a_file_is_refused(lab, sample, vcf_files):
    lab.post(upload_url(sample), {"files": [upload("cohort.vcf.gz", vcf_files["vcf"])]})
    response = lab.post(upload_url(sample), {"files": [upload("cohort.vcf.gz.tbi", vcf_files["tbi"])]}, follow=True)
    assert "kept as the index of cohort.vcf.gz" in response.content.decode()
    assert index_beside(VariantFile.objects.get()).is_file()

    response = lab.post(upload_url(sample), {"files": [upload("other.vcf.gz.csi", b"CSI\x01")]}, follow=True)
    assert "other.vcf.gz.csi: an index is kept only with the file it indexes" in response.content.decode()
    assert VariantFile.objects.count() == 1


def test_an_index_of_a_plain_text_vcf_is_refused(lab, sample, vcf_files, tmp_path):
    plain = crbn_cohort_vcf(tmp_path).read_bytes()
    files = [upload("cohort.vcf", plain), upload("cohort.vcf.tbi", vcf_files["tbi"])]
    response = lab.post(upload_url(sample), {"files": files}, follow=True)
    assert "cohort.vcf.tbi: cohort.vcf is not bgzip-compressed" in response.content.decode()
    assert not index_beside(VariantFile.objects.get()).exists()


def test_the_api_keeps_the_index_before_it_queues_the_parse(
    world, sample, vcf_files, eager, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(world.users["lab_scientist_a"])
    parts = [upload("cohort.vcf.gz", vcf_files["vcf"]), upload("cohort.vcf.gz.tbi", vcf_files["tbi"])]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(files_url(sample), {"file": parts}, format="multipart")
    assert response.status_code == 201
    [listed] = response.json()["files"]
    assert listed["original_name"] == "cohort.vcf.gz"
    run = ParseRun.objects.get()
    assert (run.status, run.records_read, run.records_kept) == (ParseRun.Status.SUCCEEDED, 3, 3)


def test_the_api_parses_a_file_whose_index_it_refuses_and_says_why(
    world, sample, tmp_path, eager, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_authenticate(world.users["lab_scientist_a"])
    plain = crbn_cohort_vcf(tmp_path).read_bytes()
    parts = [upload("cohort.vcf", plain), upload("cohort.vcf.tbi", b"TBI\x01")]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(files_url(sample), {"file": parts}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == ["cohort.vcf.tbi: cohort.vcf is not bgzip-compressed, so no index can read it."]
    [listed] = response.json()["files"]
    assert listed["original_name"] == "cohort.vcf"
    run = ParseRun.objects.get()
    assert (run.status, run.records_kept) == (ParseRun.Status.SUCCEEDED, 3)


def test_the_api_refuses_an_index_without_its_file_by_name(world, sample):
    api = APIClient()
    api.force_authenticate(world.users["lab_scientist_a"])
    response = api.post(files_url(sample), {"file": [upload("lost.vcf.gz.tbi", b"TBI\x01")]}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("lost.vcf.gz.tbi: an index is kept only with the file it indexes")
    assert not VariantFile.objects.exists()
