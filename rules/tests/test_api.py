"""The assessments API: read-only, through the chokepoint, filtered by sample and status."""

import pytest

from crbn_portal.models import AuditEvent
from crbn_portal.tests.api_helpers import api_as, last_event, uuids
from patients.tests.factories import PatientFactory, SampleFactory
from rules.models import Assessment, JobStatus, Trigger
from rules.services import assessment_run
from rules.tests.stored import class_b_sample


@pytest.fixture
def assessed(world):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), genome_build="GRCh38")
    class_b_sample(sample)
    assessment_run(sample=sample, trigger=Trigger.INGEST)
    return sample


def test_a_samples_assessments_list_with_their_calls(world, assessed):
    response = api_as(world.users["clinician_a"]).get("/api/v1/assessments/", {"sample": assessed.uuid})

    [row] = response.json()["results"]
    assessment = Assessment.objects.get(sample=assessed)
    assert (row["uuid"], row["sample"], row["status"]) == (str(assessment.uuid), str(assessed.uuid), "done")
    assert row["calls"] == assessment.calls and set(row["calls"]) >= {"lenalidomide", "pomalidomide"}
    assert row["result"]["engine_version"] == assessment.engine_version


def test_the_status_filter_narrows_and_rejects_unknown_values(world, assessed):
    client = api_as(world.users["clinician_a"])

    assert client.get("/api/v1/assessments/", {"status": JobStatus.FAILED}).json()["count"] == 0
    assert client.get("/api/v1/assessments/", {"status": "bogus"}).status_code == 400


def test_another_institution_neither_lists_nor_reads_them(world, assessed):
    client = api_as(world.users["clinician_b"])
    assessment = Assessment.objects.get(sample=assessed)

    assert uuids(client.get("/api/v1/assessments/")) == []
    assert client.get(f"/api/v1/assessments/{assessment.uuid}/").status_code == 404


def test_reading_one_is_audited(world, assessed):
    user = world.users["lab_scientist_a"]
    assessment = Assessment.objects.get(sample=assessed)

    api_as(user).get(f"/api/v1/assessments/{assessment.uuid}/")

    event = last_event(user)
    assert (event.action, event.object_uuid) == (AuditEvent.Action.VIEW, assessment.uuid)
    assert event.object_type == "rules.Assessment"
