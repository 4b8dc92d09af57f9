"""Names typed or uploaded by people (a study ID, an accession, a file name) that hold HTML are shown as text:
escaped in the sample, patient and report pages, and as the same characters in the PDF's text."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from patients.tests.factories import PatientFactory, SampleFactory
from reports.document import document_context, render_document_html
from reports.pdf import html_to_pdf
from reports.services import report_meta
from reports.tests.reporting import draft
from rules.models import Trigger
from rules.services import assessment_run
from rules.tests.stored import class_e_sample, parsed_file

STUDY_ID = '<script>alert("s")</script>'
ACCESSION = "<img src=x onerror=alert(1)>"
FILE_NAME = "<b onmouseover=alert(2)>calls.vcf"
NAMES = (STUDY_ID, ACCESSION, FILE_NAME)


def escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@pytest.fixture
def sample(world):
    patient = PatientFactory(institution=world.inst_a, study_id=STUDY_ID)
    sample = SampleFactory(patient=patient, accession=ACCESSION, purity_pct=80, genome_build="GRCh38")
    class_e_sample(sample)
    parsed_file(sample, "vcf", name=FILE_NAME)
    assessment_run(sample=sample, trigger=Trigger.INGEST)
    return sample


def page(client, world, url: str) -> str:
    client.force_login(world.users["clinician_a"])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def assert_shown_as_text(html: str, names: tuple[str, ...]) -> None:
    for name in names:
        assert name not in html, f"{name!r} reached the page unescaped"
        assert escaped(name) in html


def test_the_sample_page_shows_the_names_as_text(client, world, sample):
    assert_shown_as_text(page(client, world, reverse("variants:sample", args=[sample.uuid])), NAMES)


def test_the_patient_page_shows_the_names_as_text(client, world, sample):
    html = page(client, world, reverse("patients:detail", args=[sample.patient.uuid]))
    assert_shown_as_text(html, (STUDY_ID, ACCESSION))


def test_the_report_page_shows_the_names_as_text(client, world, sample):
    report = draft(sample, world.users["lab_scientist_a"])
    assert_shown_as_text(page(client, world, reverse("report:detail", args=[report.uuid])), NAMES)


def test_the_pdf_prints_the_names_as_the_characters_typed(world, sample):
    report = draft(sample, world.users["lab_scientist_a"])
    context = document_context(sample=sample, assessment=report.assessment, meta=report_meta(report), user=None)
    static = Path(settings.STATICFILES_DIRS[0]).as_uri() + "/"
    data = html_to_pdf(render_document_html(context=context, for_pdf=True), base_url=static)

    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))

    for name in NAMES:
        assert re.sub(r"\s+", " ", name) in text
        assert escaped(name) not in text
