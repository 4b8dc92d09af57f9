"""The registry pages: who may open them, what they show (de-identified, suppressed) and the audit trail."""

import base64
import json
import zipfile
from io import BytesIO

import pytest
from django.urls import reverse

from cohort import selectors
from crbn_portal.models import AuditEvent

from .stored import registry_patient

PAGES = ("cohort:frequencies", "cohort:survival", "cohort:methods")


@pytest.fixture
def registry(world):
    """12 consenting patients at A (3 with class G), 6 at B, 2 at A who did not consent."""
    for number in range(12):
        registry_patient(world.inst_a, f"A-{number:03d}", classes="G" if number < 3 else "")
    for number in range(6):
        registry_patient(world.inst_b, f"B-{number:03d}", classes="F" if number < 5 else "")
    for number in range(2):
        registry_patient(world.inst_a, f"NC-{number:03d}", classes="A", consent=False)
    return world


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, registry, page):
    response = client.get(reverse(page))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["lab_scientist_a", "coordinator_a"])
def test_roles_without_the_registry_are_refused(client, registry, page, persona):
    client.force_login(registry.users[persona])
    assert client.get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", ["researcher_a", "clinician_b", "curator_a", "admin_a", "superuser"])
def test_registry_readers_see_every_page_and_each_view_is_audited(client, registry, page, persona):
    client.force_login(registry.users[persona])
    response = client.get(reverse(page))
    assert response.status_code == 200
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.username, event.path) == (
        AuditEvent.Action.LIST,
        registry.users[persona].username,
        reverse(page),
    )


def test_researchers_see_both_institutions_de_identified_and_suppressed(client, registry):
    client.force_login(registry.users["researcher_a"])
    html = client.get(reverse("cohort:frequencies"), {"by": "institution"}).content.decode()
    assert "NBH" in html and "LCC" in html
    assert "A-000" not in html and "MRNA-000" not in html
    # LCC: 5 of 6 with copy loss; A: 3 of 12 with exon-10 skipping, a count under 5.
    assert "5/6" in html and "3/12" not in html and "&lt;5/12" in html


def test_non_consenting_patients_never_enter_the_registry(registry):
    patients = selectors.registry_dataset(user=registry.users["researcher_a"])
    assert len(patients) == 18
    assert all(not sample.found & {"A"} for patient in patients for sample in patient.samples)


def test_registry_ids_are_stable_and_not_study_ids(registry, settings):
    settings.REGISTRY_SECRET = "registry-secret-for-tests"
    first = {p.registry_id for p in selectors.registry_dataset(user=registry.users["researcher_a"])}
    second = {p.registry_id for p in selectors.registry_dataset(user=registry.users["clinician_b"])}
    assert first == second and len(first) == 18
    assert all(identifier.startswith("CRBN-R") for identifier in first)


def test_frequency_csv_is_suppressed_and_audited(client, registry):
    client.force_login(registry.users["researcher_a"])
    response = client.get(reverse("cohort:frequencies"), {"by": "cohort", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    assert text.splitlines()[0].startswith("Cohort,patients,Class A n")
    assert "Len-refractory,18," in text
    assert AuditEvent.objects.latest("id").action == AuditEvent.Action.DOWNLOAD


def test_an_unknown_breakdown_falls_back_with_a_message(client, registry):
    client.force_login(registry.users["researcher_a"])
    response = client.get(reverse("cohort:frequencies"), {"by": "postcode"})
    assert response.status_code == 200
    assert "Unknown by" in response.content.decode()


@pytest.mark.parametrize(("endpoint", "grouping"), [("pfs", "status"), ("os", "class")])
def test_survival_page_draws_the_curves(client, registry, endpoint, grouping):
    client.force_login(registry.users["researcher_a"])
    response = client.get(reverse("cohort:survival"), {"endpoint": endpoint, "by": grouping})
    # The figure is an image (its inline styles would be stripped by the content security policy if inlined).
    figure = base64.b64decode(response.context["figure_source"].removeprefix("data:image/svg+xml;base64,")).decode()
    assert figure.startswith("<svg") and "Number at risk" in figure
    assert f'<img src="{response.context["figure_source"]}"' in response.content.decode()
    assert "Log-rank p" in response.content.decode()


def test_small_survival_groups_are_not_drawn(client, registry):
    # By kind: 3 patients with exon-10 skipping only, under 5, so that group is left out.
    client.force_login(registry.users["researcher_a"])
    html = client.get(reverse("cohort:survival"), {"endpoint": "os", "by": "class"}).content.decode()
    assert "Groups under 5 patients are not drawn: Exon-10 skipping" in html


def test_learning_loop_is_for_curators(client, registry):
    client.force_login(registry.users["researcher_a"])
    assert client.get(reverse("cohort:learning_loop")).status_code == 403
    client.force_login(registry.users["curator_a"])
    response = client.get(reverse("cohort:learning_loop"), {"early_days": "90"})
    assert response.status_code == 200
    assert AuditEvent.objects.latest("id").detail == {"page": "learning loop", "early_days": 90}


def test_learning_loop_refuses_a_bad_window_with_a_message(client, registry):
    client.force_login(registry.users["curator_a"])
    response = client.get(reverse("cohort:learning_loop"), {"early_days": "=1+1"})
    assert response.status_code == 200
    assert "whole number of days" in response.content.decode()


def test_cbioportal_export_holds_the_study_files_without_identifiers(client, registry):
    client.force_login(registry.users["researcher_a"])
    response = client.get(reverse("cohort:export_cbioportal"), {"build": "GRCh38"})
    archive = zipfile.ZipFile(BytesIO(response.content))
    names = {name.split("/")[-1] for name in archive.namelist()}
    assert {
        "meta_study.txt",
        "data_clinical_patient.txt",
        "data_clinical_sample.txt",
        "data_mutations.txt",
        "data_cna.txt",
    } <= names
    patients = archive.read("crbn_registry_grch38/data_clinical_patient.txt").decode()
    assert "A-000" not in patients and patients.count("CRBN-R") == 18
    event = AuditEvent.objects.latest("id")
    assert (event.action, event.detail["export"]) == (AuditEvent.Action.DOWNLOAD, "cbioportal")


def test_fhir_export_is_a_bundle_and_audited(client, registry):
    client.force_login(registry.users["researcher_a"])
    response = client.get(reverse("cohort:export_fhir"))
    document = json.loads(response.content)
    assert document["resourceType"] == "Bundle" and document["entry"] == []
    assert AuditEvent.objects.latest("id").action == AuditEvent.Action.DOWNLOAD
