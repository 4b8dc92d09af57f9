"""The API's variant-file extras (errors, raw bytes) and the alterations parsed from a sample's files."""

import pytest
from django.core.files.base import ContentFile

from crbn_portal.models import AuditEvent
from crbn_portal.tests.api_helpers import api_as, last_event, uuids
from patients.tests.factories import PatientFactory, SampleFactory
from rules.tests.stored import one_copy_of_crbn, parsed_file, w380c
from variants.models import FileKind, ParseRun


@pytest.fixture
def sample(world):
    return SampleFactory(patient=PatientFactory(institution=world.inst_a), genome_build="GRCh38")


@pytest.fixture
def failed_file(sample):
    variant_file = parsed_file(sample, FileKind.SMALL_VARIANTS, status=ParseRun.Status.FAILED, name="relapse.vcf")
    ParseRun.objects.filter(file=variant_file).update(error="Line 7: REF is empty.", error_line=7, warnings=["w1"])
    return variant_file


def test_a_failed_files_errors_name_the_line(world, failed_file):
    body = api_as(world.users["lab_scientist_a"]).get(f"/api/v1/files/{failed_file.uuid}/errors/").json()

    assert body == {
        "uuid": str(failed_file.uuid),
        "status": "failed",
        "error": "Line 7: REF is empty.",
        "error_line": 7,
        "warnings": ["w1"],
    }


def test_the_raw_download_is_the_uploaded_bytes_and_audited(world, sample):
    variant_file = parsed_file(sample, FileKind.SMALL_VARIANTS, name="relapse.vcf")
    variant_file.stored.save("relapse.vcf", ContentFile(b"##fileformat=VCFv4.2\n"))
    user = world.users["clinician_a"]

    response = api_as(user).get(f"/api/v1/files/{variant_file.uuid}/raw/")

    assert (response.status_code, response["Content-Type"]) == (200, "application/octet-stream")
    assert b"".join(response.streaming_content) == b"##fileformat=VCFv4.2\n"
    assert 'filename="relapse.vcf"' in response["Content-Disposition"]
    assert (last_event(user).action, last_event(user).object_uuid) == (AuditEvent.Action.DOWNLOAD, variant_file.uuid)


def test_another_institution_gets_404_for_the_files_extras(world, failed_file):
    client = api_as(world.users["clinician_b"])

    assert client.get(f"/api/v1/files/{failed_file.uuid}/errors/").status_code == 404
    assert client.get(f"/api/v1/files/{failed_file.uuid}/raw/").status_code == 404


def test_small_variants_of_a_sample_with_their_source_line(world, sample):
    variant = w380c(parsed_file(sample, FileKind.SMALL_VARIANTS))
    other = SampleFactory(patient=PatientFactory(institution=world.inst_a), genome_build="GRCh38")
    w380c(parsed_file(other, FileKind.SMALL_VARIANTS))

    response = api_as(world.users["clinician_a"]).get("/api/v1/alterations/small-variants/", {"sample": sample.uuid})

    [row] = response.json()["results"]
    assert (row["uuid"], row["hgvs_p"], row["line"]) == (str(variant.uuid), "p.Trp380Cys", 12)
    assert (row["sample"], row["source_file"]) == (str(sample.uuid), str(variant.source_file.uuid))
    assert "id" not in row


def test_copy_number_segments_are_their_own_endpoint_filtered_by_gene(world, sample):
    segment = one_copy_of_crbn(parsed_file(sample, FileKind.COPY_NUMBER))
    client = api_as(world.users["lab_scientist_a"])

    assert uuids(client.get("/api/v1/alterations/copy-number/", {"gene": "CRBN"})) == [str(segment.uuid)]
    assert uuids(client.get("/api/v1/alterations/copy-number/", {"gene": "IKZF1"})) == []


def test_another_institutions_alterations_are_invisible(world, sample):
    variant = w380c(parsed_file(sample, FileKind.SMALL_VARIANTS))
    client = api_as(world.users["clinician_b"])

    assert uuids(client.get("/api/v1/alterations/small-variants/")) == []
    assert client.get(f"/api/v1/alterations/small-variants/{variant.uuid}/").status_code == 404


def test_a_query_holding_nul_characters_is_answered_and_audited_without_them(world, sample):
    user = world.users["clinician_a"]
    client = api_as(user)

    listed = client.get("/api/v1/alterations/small-variants/", {"gene": "CRBN", "no\x00te": "a\x00b", "x" * 300: "1"})
    refused = client.get("/api/v1/alterations/small-variants/", {"gene": "CR\x00BN"})

    assert (listed.status_code, listed.json()["count"]) == (200, 0)
    expected = {"endpoint": "alteration-small-variants", "gene": "CRBN", "note": "ab", "x" * 100: "1"}
    assert last_event(user).detail == expected
    assert refused.status_code == 400 and "gene" in refused.json()
