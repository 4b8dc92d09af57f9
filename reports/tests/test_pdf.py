"""The PDF: the same document as the browser's, the study ID and "page X of Y" on every page, no MRN, no network."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader
from weasyprint.urls import URLFetcher

from reports import pdf
from reports.document import document_context, render_document_html
from reports.pdf import StaticOnlyFetcher, html_to_pdf, pdf_sha256
from reports.tests.test_document import DRUGS, LAB, MRN, SIGNER, assessed_relapse, meta, verdict_rows
from rules.templatetags.rules_labels import CALL_LABELS

STATIC_URL = Path(settings.STATICFILES_DIRS[0]).as_uri() + "/"


def rendered(sample, assessment, *, user=None, **overrides) -> tuple[str, list[str]]:
    """(browser HTML, the PDF's text page by page)."""
    context = document_context(sample=sample, assessment=assessment, meta=meta(**overrides), user=user)
    data = html_to_pdf(render_document_html(context=context, for_pdf=True), base_url=STATIC_URL)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    return render_document_html(context=context, for_pdf=False), pages


def flat(pages: list[str]) -> str:
    """The text with every run of whitespace made one space (lines wrap differently in print)."""
    return re.sub(r"\s+", " ", " ".join(pages))


@pytest.fixture
def relapse(world):
    return assessed_relapse(world)


def test_every_page_carries_the_study_id_and_page_x_of_y(relapse):
    sample, assessment = relapse

    _, pages = rendered(sample, assessment)

    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "NBH-0042" in text
        assert f"Page {number} of {len(pages)}" in text


def test_the_pdf_and_the_browser_show_the_same_calls(relapse):
    sample, assessment = relapse

    html, pages = rendered(sample, assessment)

    calls = verdict_rows(html)
    assert calls == {drug: CALL_LABELS[assessment.calls[drug]] for drug in DRUGS}
    text = flat(pages)
    for drug, label in calls.items():
        assert f"{drug.capitalize()} {label}" in text


def test_the_pdf_carries_every_required_element(relapse):
    sample, assessment = relapse
    digests = [item.sha256 for item in sample.variant_files.all()]

    _, pages = rendered(sample, assessment)

    text, packed = flat(pages), re.sub(r"\s+", "", " ".join(pages))
    for expected in (
        "NM_016302.4:c.1171T>C",
        "NP_057386.2:p.(Cys391Arg)",
        "NP_057386.2:p.(Arg283His)",
        assessment.kb_release,
        f"Engine {assessment.engine_version}",
        LAB,
        SIGNER,
        "R-2024-001",
        "Limit of detection",
        "Recommendations",
    ):
        assert expected in text, expected
    assert all(digest in packed for digest in digests)


def test_the_pdf_never_shows_the_mrn(relapse):
    sample, assessment = relapse

    _, pages = rendered(sample, assessment, user=None)

    assert MRN not in flat(pages)


def test_an_accession_holding_html_prints_as_text(world):
    sample, assessment = assessed_relapse(world, accession="<script>alert(1)</script>")

    _, pages = rendered(sample, assessment)

    assert "<script>alert(1)</script>" in flat(pages)


def test_remote_urls_are_refused_and_never_fetched(monkeypatch):
    asked, network = [], []
    refuse = StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return refuse(self, url, headers)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    monkeypatch.setattr(URLFetcher, "open", lambda *args, **kwargs: network.append(args))
    page = '<html><body><p>x</p><img src="http://example.org/x.png"><img src="https://example.org/y.png"></body></html>'

    data = html_to_pdf(page, base_url=STATIC_URL)

    assert data.startswith(b"%PDF")
    assert asked == ["http://example.org/x.png", "https://example.org/y.png"]
    assert network == []


def test_only_files_under_the_static_roots_are_served(tmp_path):
    fetcher = StaticOnlyFetcher(pdf.static_roots())
    stylesheet = Path(settings.STATICFILES_DIRS[0]) / "css" / "report.css"
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the PDF")

    assert fetcher.fetch(stylesheet.as_uri()).read() == stylesheet.read_bytes()
    for url in (
        outside.as_uri(),
        f"{Path(settings.STATICFILES_DIRS[0]).as_uri()}/../manage.py",
        "http://example.org/css/report.css",
        "data:text/plain,hello",
        f"file://remote.example.org{stylesheet}",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)


def test_pdf_sha256_is_the_hex_digest_of_the_bytes():
    assert pdf_sha256(b"%PDF-1.7") == hashlib.sha256(b"%PDF-1.7").hexdigest()
