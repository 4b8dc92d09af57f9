"""Exports: spreadsheet-safe CSV, FHIR DiagnosticReports from signed reports, cBioPortal files."""

from datetime import date

import pytest

from cohort import selectors
from cohort.exports import cbioportal
from cohort.exports.fhir import bundle, diagnostic_report
from crbn_portal.spreadsheet import csv_text, safe_cell
from patients.models import Patient
from reports.tests.reporting import amend, assessed_sample, sign, signed, submit

from .builders import patient, sample


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM", "'@SUM"), ("\tx", "'\tx"),
     ("\rx", "'\rx"), ("Len-refractory", "Len-refractory"), (12, "12"), (None, "")],
)  # fmt: skip
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(value, safe):
    assert safe_cell(value) == safe


def test_csv_text_makes_every_cell_safe():
    assert csv_text([["a", "=1+1"], ["b,c", "@x"]]) == "a,'=1+1\n\"b,c\",'@x\n"


def _check_observation(resource):
    assert resource["resourceType"] == "Observation" and resource["status"] == "final"
    assert isinstance(resource["code"], dict) and isinstance(resource["component"], list)


def test_diagnostic_report_has_the_genomics_reporting_shape():
    result = {
        "kb_release": "kb-1",
        "engine_version": "1.0",
        "alterations": [{"class": "E", "description": "biallelic loss"}],
        "drugs": {"lenalidomide": {"call": "resistance_likely", "level": "D", "inferred": False, "text": "t"}},
    }
    report = diagnostic_report(
        report_id="CRBN-R1", registry_id="CRBN-R2", version=1, result=result, collected=date(2021, 1, 1),
        signed=date(2021, 2, 1),
    )  # fmt: skip
    assert report["resourceType"] == "DiagnosticReport" and report["status"] == "final"
    assert report["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "81247-9",
        "display": "Master HL7 genetic variant reporting panel",
    }
    assert report["subject"]["reference"] == "Patient/CRBN-R2"
    ids = {item["id"] for item in report["contained"]}
    assert {ref["reference"][1:] for ref in report["result"]} == ids == {"variant-1", "implication-1"}
    for resource in report["contained"]:
        _check_observation(resource)
    implication = report["contained"][1]
    assert implication["derivedFrom"] == [{"reference": "#variant-1"}]
    assert diagnostic_report(**{**_args(result), "version": 2})["status"] == "amended"


def _args(result):
    return {
        "report_id": "x",
        "registry_id": "y",
        "version": 1,
        "result": result,
        "collected": date(2021, 1, 1),
        "signed": date(2021, 1, 2),
    }


def test_fhir_bundle_holds_the_signed_version_in_force_with_shifted_dates(world, settings):
    settings.REGISTRY_SECRET = "fhir-test-secret"
    users = world.users
    sample_ = assessed_sample(world.inst_a)
    Patient.objects.filter(pk=sample_.patient_id).update(registry_consent=True)
    first = signed(sample_, users["lab_scientist_a"], users["clinician_a"])
    sign(submit(amend(first, users["clinician_a"]), users["clinician_a"]), users["clinician_a"])
    resources = selectors.signed_report_resources(user=users["researcher_a"])
    assert len(resources) == 1
    report = resources[0]
    assert report["status"] == "amended"
    assert report["effectiveDateTime"] != sample_.collection_date.isoformat()
    assert any(
        item["component"][1]["valueString"] == "E" for item in report["contained"] if item["id"].startswith("variant")
    )
    assert bundle(resources)["entry"][0]["resource"] is report
    assert sample_.patient.study_id not in str(report)
    assert selectors.signed_report_resources(user=users["lab_scientist_a"]) == []


def test_cbioportal_files_use_registry_ids_and_discrete_copy_number():
    first = patient(1, samples=(sample(1, found="E"),), death=date(2021, 1, 1))
    ids = cbioportal.sample_ids([first])
    assert ids == {"s1": "P1-S1"}
    assert cbioportal.cna_file({"s1": 0.0}, ids).splitlines()[1] == "CRBN\t51185\t-2"
    assert cbioportal.cna_file({"s1": 1.0}, ids).splitlines()[1] == "CRBN\t51185\t-1"
    clinical = cbioportal.patient_file([first]).splitlines()
    assert clinical[4].split("\t")[0] == "PATIENT_ID" and clinical[5].split("\t")[6] == "1:DECEASED"
    row = cbioportal.MafRow("s1", "chr3", 3152480, "C", "A", "missense_variant", "p.W380C", 400, 180)
    maf = cbioportal.maf_file([row], ids, "GRCh38").splitlines()
    assert maf[1].split("\t")[:4] == ["CRBN", "51185", "38", "3"] and maf[1].split("\t")[-2:] == ["220", "180"]
