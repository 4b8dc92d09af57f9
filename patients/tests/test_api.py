"""The API's institutions, patients, treatment lines and samples: read through the chokepoint, by UUID, filtered
and paginated like the pages, each call audited."""

import pytest
from rest_framework.test import APIClient

from crbn_portal.models import AuditEvent
from crbn_portal.tests.api_helpers import api_as, last_event, uuids
from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory


@pytest.fixture
def records(world):
    mine = PatientFactory(institution=world.inst_a, study_id="NBH-001", mrn="MRN-77")
    other = PatientFactory(institution=world.inst_a, study_id="NBH-002")
    theirs = PatientFactory(institution=world.inst_b, study_id="LCC-001")
    TreatmentLineFactory(patient=mine, drugs=["lenalidomide", "dexamethasone"])
    return {"mine": mine, "other": other, "theirs": theirs, "sample": SampleFactory(patient=mine, accession="R-1")}


def test_the_list_holds_only_the_users_institution(world, records):
    response = api_as(world.users["clinician_a"]).get("/api/v1/patients/")

    assert response.status_code == 200
    assert uuids(response) == [str(records["mine"].uuid), str(records["other"].uuid)]
    assert response.json()["count"] == 2


def test_a_patient_detail_exposes_uuids_never_integer_ids(world, records):
    body = api_as(world.users["clinician_a"]).get(f"/api/v1/patients/{records['mine'].uuid}/").json()

    assert "id" not in body
    assert (body["study_id"], body["institution"], body["mrn"]) == ("NBH-001", "NBH", "MRN-77")


def test_another_institutions_patient_sample_and_line_are_404(world, records):
    client = api_as(world.users["clinician_b"])
    line = records["mine"].treatment_lines.get()

    assert client.get(f"/api/v1/patients/{records['mine'].uuid}/").status_code == 404
    assert client.get(f"/api/v1/samples/{records['sample'].uuid}/").status_code == 404
    assert client.get(f"/api/v1/treatment-lines/{line.uuid}/").status_code == 404


def test_a_researcher_reads_no_patient(world, records):
    response = api_as(world.users["researcher_a"]).get("/api/v1/patients/")

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_anonymous_callers_are_refused(records):
    response = APIClient().get("/api/v1/patients/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Token realm="api"')


def test_the_search_filter_matches_study_ids_and_is_audited_without_the_term(world, records):
    user = world.users["clinician_a"]
    response = api_as(user).get("/api/v1/patients/", {"q": "002"})

    assert uuids(response) == [str(records["other"].uuid)]
    event = last_event(user)
    assert (event.action, event.detail) == (AuditEvent.Action.LIST, {"endpoint": "patient", "q": "(withheld)"})


def test_an_institution_outside_the_users_scope_is_a_400_not_everyone(world, records):
    response = api_as(world.users["clinician_a"]).get("/api/v1/patients/", {"institution": "LCC"})

    assert response.status_code == 400
    assert "institution" in response.json()


def test_pages_follow_the_page_size(world, records):
    client = api_as(world.users["clinician_a"])

    first = client.get("/api/v1/patients/", {"page_size": 1}).json()
    second = client.get(first["next"]).json()

    assert [len(first["results"]), first["count"], second["next"]] == [1, 2, None]
    assert second["results"][0]["study_id"] == "NBH-002"


def test_treatment_lines_filter_by_patient_with_their_drugs(world, records):
    response = api_as(world.users["clinician_a"]).get("/api/v1/treatment-lines/", {"patient": records["mine"].uuid})

    [line] = response.json()["results"]
    assert (line["patient"], line["drugs"]) == (str(records["mine"].uuid), ["dexamethasone", "lenalidomide"])


def test_samples_filter_by_patient_and_accession(world, records):
    client = api_as(world.users["lab_scientist_a"])

    by_patient = client.get("/api/v1/samples/", {"patient": records["other"].uuid}).json()
    by_accession = client.get("/api/v1/samples/", {"accession": "R-1"}).json()

    assert by_patient["count"] == 0
    assert [row["uuid"] for row in by_accession["results"]] == [str(records["sample"].uuid)]


def test_a_sample_view_is_audited_with_the_sample(world, records):
    user = world.users["lab_scientist_a"]
    api_as(user).get(f"/api/v1/samples/{records['sample'].uuid}/")

    event = last_event(user)
    assert (event.action, event.object_uuid) == (AuditEvent.Action.VIEW, records["sample"].uuid)


def test_institutions_list_the_users_own(world, records):
    response = api_as(world.users["clinician_b"]).get("/api/v1/institutions/")

    assert [row["code"] for row in response.json()["results"]] == ["LCC"]


def test_an_unknown_uuid_and_a_malformed_one_are_404(world, records):
    client = api_as(world.users["clinician_a"])

    assert client.get("/api/v1/patients/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/api/v1/patients/not-a-uuid/").status_code == 404


# ---- writes: POST creates, PATCH changes; the role is checked at the record's institution ------------------------

SAMPLE = {
    "accession": "R-NEW-1",
    "timepoint": "first_relapse",
    "collection_date": "2024-05-02",
    "specimen": "bm_aspirate",
    "enrichment": "cd138_magnetic",
    "purity_pct": "72.50",
    "assay": "wgs",
    "genome_build": "GRCh38",
}


def test_a_lab_scientist_registers_a_sample_and_it_is_audited(world, records):
    user = world.users["lab_scientist_a"]

    response = api_as(user).post("/api/v1/samples/", {**SAMPLE, "patient": records["mine"].uuid}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["accession"], body["institution"], body["purity_pct"]) == ("R-NEW-1", "NBH", "72.50")
    sample = records["mine"].samples.get(accession="R-NEW-1")
    assert sample.created_by == user and str(sample.uuid) == body["uuid"]
    event = last_event(user)
    assert (event.action, event.object_uuid) == (AuditEvent.Action.CREATE, sample.uuid)


def test_a_clinician_may_not_register_a_sample_and_the_refusal_is_audited(world, records):
    user = world.users["clinician_a"]

    response = api_as(user).post("/api/v1/samples/", {**SAMPLE, "patient": records["mine"].uuid}, format="json")

    assert response.status_code == 403
    assert not records["mine"].samples.filter(accession="R-NEW-1").exists()
    assert last_event(user).detail["refused"] == "role"


def test_a_sample_for_another_institutions_patient_is_a_400_that_names_nothing(world, records):
    payload = {**SAMPLE, "patient": records["theirs"].uuid}

    response = api_as(world.users["lab_scientist_a"]).post("/api/v1/samples/", payload, format="json")

    assert response.status_code == 400
    assert "patient" in response.json()


def test_a_duplicate_accession_is_a_400_not_a_500(world, records):
    payload = {**SAMPLE, "patient": records["mine"].uuid, "accession": "R-1"}

    response = api_as(world.users["lab_scientist_a"]).post("/api/v1/samples/", payload, format="json")

    assert response.status_code == 400
    assert "accession" in str(response.json()).lower()
    assert records["mine"].samples.filter(accession="R-1").count() == 1


def test_a_clinician_records_a_treatment_line_then_its_progression(world, records):
    client = api_as(world.users["clinician_a"])
    line = {
        "patient": records["other"].uuid,
        "line_number": 1,
        "regimen": "DaraRd",
        "drugs": ["daratumumab", "lenalidomide", "dexamethasone"],
        "start_date": "2021-01-04",
    }

    created = client.post("/api/v1/treatment-lines/", line, format="json")
    changed = client.patch(
        f"/api/v1/treatment-lines/{created.json()['uuid']}/", {"progression_date": "2022-03-01"}, format="json"
    )

    assert created.status_code == 201 and changed.status_code == 200
    assert changed.json()["drugs"] == ["daratumumab", "dexamethasone", "lenalidomide"]
    assert changed.json()["refractory_drugs"] == ["daratumumab", "dexamethasone", "lenalidomide"]


def test_a_line_ending_before_it_starts_is_a_400_naming_the_field(world, records):
    line = records["mine"].treatment_lines.get()

    response = api_as(world.users["clinician_a"]).patch(
        f"/api/v1/treatment-lines/{line.uuid}/", {"end_date": "2000-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert "end_date" in response.json()


def test_only_an_admin_changes_a_patient(world, records):
    url = f"/api/v1/patients/{records['mine'].uuid}/"

    refused = api_as(world.users["clinician_a"]).patch(url, {"iss_stage": "II"}, format="json")
    changed = api_as(world.users["admin_a"]).patch(url, {"iss_stage": "II", "institution": "LCC"}, format="json")

    assert refused.status_code == 403
    assert changed.status_code == 200
    assert (changed.json()["iss_stage"], changed.json()["institution"]) == ("II", "NBH")  # the owner never moves


def test_an_admin_registers_a_patient_only_at_their_institution(world):
    client = api_as(world.users["admin_a"])
    patient = {"study_id": "NBH-900", "year_of_birth": 1950, "diagnosis_date": "2020-02-01"}

    created = client.post("/api/v1/patients/", {**patient, "institution": "NBH"}, format="json")
    elsewhere = client.post("/api/v1/patients/", {**patient, "institution": "LCC"}, format="json")

    assert created.status_code == 201 and created.json()["study_id"] == "NBH-900"
    assert elsewhere.status_code == 400


def test_another_institution_cannot_change_what_it_cannot_see(world, records):
    url = f"/api/v1/samples/{records['sample'].uuid}/"

    assert api_as(world.users["clinician_b"]).patch(url, {"purity_pct": "10"}, format="json").status_code == 404


def test_put_and_delete_are_not_offered(world, records):
    client = api_as(world.users["admin_a"])
    url = f"/api/v1/patients/{records['mine'].uuid}/"

    assert client.put(url, {}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
