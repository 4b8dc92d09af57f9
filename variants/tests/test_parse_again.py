"""Parse again: a confirmed file whose last parse failed (here: a worker lost, the sweeper gave up) is queued once
more from the sample page by the institution's lab; the failed run and its error stay on record."""

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from rest_framework.test import APIClient

from crbn_portal.models import AuditEvent
from variants.models import ParseRun, SpliceJunction, VariantFile

from .test_sample_page import confirm_data, confirm_url, page_url, sj_file, stored, upload_url

GAVE_UP = "relapse.SJ.out.tab: the worker running this parse was lost 3 times; given up"


@pytest.fixture
def failed_file(lab, sample, settings, django_capture_on_commit_callbacks) -> VariantFile:
    """A junction file confirmed for parsing whose run was given up on before any worker parsed it."""
    lab.post(upload_url(sample), {"files": [sj_file()]})
    junctions = stored(sample, "relapse.SJ.out.tab")
    with django_capture_on_commit_callbacks(execute=False):  # the task is never sent: its worker was lost
        lab.post(confirm_url(sample), confirm_data(junctions))
    ParseRun.objects.filter(file=junctions).update(status=ParseRun.Status.FAILED, error=GAVE_UP)
    return junctions


def parse_again_url(variant_file: VariantFile) -> str:
    return reverse("variants:file_parse_again", args=[variant_file.sample.uuid, variant_file.uuid])


def test_the_lab_parses_a_failed_file_again_and_the_failed_run_stays(
    lab, sample, failed_file, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assertContains(lab.get(page_url(sample)), parse_again_url(failed_file))

    with django_capture_on_commit_callbacks(execute=True):
        response = lab.post(parse_again_url(failed_file), follow=True)

    assertContains(response, "relapse.SJ.out.tab: queued for parsing again.")
    runs = list(failed_file.parse_runs.order_by("created_at", "id").values_list("status", "error"))
    assert runs == [(ParseRun.Status.FAILED, GAVE_UP), (ParseRun.Status.SUCCEEDED, "")]
    assert sorted(SpliceJunction.objects.filter(sample=sample).values_list("reads", flat=True)) == [30, 40, 60]
    assertNotContains(response, parse_again_url(failed_file))  # its latest run succeeded
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONFIRM, detail__parse_again="queued")
    assert event.object_uuid == failed_file.uuid


def test_a_file_whose_last_parse_did_not_fail_is_not_parsed_again(lab, sample, failed_file):
    ParseRun.objects.filter(file=failed_file).update(status=ParseRun.Status.SUCCEEDED, error="")

    response = lab.post(parse_again_url(failed_file), follow=True)

    assertContains(response, "relapse.SJ.out.tab: only a file whose last parse failed can be parsed again.")
    assert failed_file.parse_runs.count() == 1
    assert AuditEvent.objects.filter(detail__parse_again="refused").count() == 1


def test_only_the_institutions_lab_may_parse_again(client, world, failed_file):
    client.force_login(world.users["clinician_a"])
    assertNotContains(client.get(page_url(failed_file.sample)), parse_again_url(failed_file))
    assert client.post(parse_again_url(failed_file)).status_code == 403
    client.force_login(world.users["clinician_b"])
    assert client.post(parse_again_url(failed_file)).status_code == 404
    assert failed_file.parse_runs.count() == 1


def test_parse_again_takes_a_post(lab, failed_file):
    assert lab.get(parse_again_url(failed_file)).status_code == 405
    assert failed_file.parse_runs.count() == 1


# ---- through the API -------------------------------------------------------------------------------------------


def api_url(variant_file: VariantFile) -> str:
    return reverse("variants-api:file-parse-again", args=[variant_file.uuid])


def test_a_lab_system_parses_a_failed_file_again(world, failed_file, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    api = APIClient()
    api.force_authenticate(world.users["lab_scientist_a"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(api_url(failed_file))
    assert response.status_code == 201
    assert response.json()["uuid"] == str(failed_file.uuid)
    assert failed_file.parse_runs.filter(status=ParseRun.Status.SUCCEEDED).count() == 1

    again = api.post(api_url(failed_file))
    assert again.status_code == 400
    assert again.json()["errors"] == ["relapse.SJ.out.tab: only a file whose last parse failed can be parsed again."]


def test_the_api_refuses_parse_again_to_a_clinician_and_hides_the_file_from_another_institution(world, failed_file):
    api = APIClient()
    api.force_authenticate(world.users["clinician_a"])
    assert api.post(api_url(failed_file)).status_code == 403
    api.force_authenticate(world.users["clinician_b"])
    assert api.post(api_url(failed_file)).status_code == 404
    assert failed_file.parse_runs.count() == 1
