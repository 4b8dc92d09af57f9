"""Security headers and cookies: a content security policy with no inline script or style (and templates that
need none), framing and referrer policies, HttpOnly cookies, HSTS and secure cookies in production, and request
size limits that refuse with 400, never 500."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from crbn_portal.tests.test_production_settings import start_django

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Documents rendered to PDF by WeasyPrint only, never served to a browser: their stylesheet is inline by design.
PDF_ONLY = {"reports/document/report.html", "reports/board/packet.html"}
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "inline style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def policy(response) -> dict[str, list[str]]:
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: values for name, *values in directives}


@pytest.fixture
def page(client: Client, world):
    client.force_login(world.users["clinician_a"])
    return client.get(reverse("patients:list"))


def test_pages_carry_a_policy_that_allows_only_the_portals_own_scripts_and_styles(page):
    csp = policy(page)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]


def test_framing_sniffing_and_referrers_are_refused(page):
    assert page["X-Frame-Options"] == "DENY"
    assert page["X-Content-Type-Options"] == "nosniff"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_out_of_reach_of_scripts(client: Client, world):
    from patients.tests.factories import TEST_PASSWORD

    client.get(reverse("login"))
    client.post(reverse("login"), {"username": "clinician_a", "password": TEST_PASSWORD})
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
    assert client.cookies[settings.CSRF_COOKIE_NAME]["httponly"]


@pytest.mark.parametrize("kind", INLINE)
def test_no_template_served_to_a_browser_has_inline_code_or_style(kind):
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        name = template.relative_to(TEMPLATES).as_posix()
        if name not in PDF_ONLY and INLINE[kind].search(template.read_text()):
            offenders.append(name)
    assert offenders == [], f"{kind} in {offenders}: move it to a file under static/"


def test_the_htmx_script_is_loaded_from_a_file_and_told_not_to_inject_styles(client: Client, world):
    from patients.tests.factories import PatientFactory, SampleFactory

    client.force_login(world.users["clinician_a"])
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a))
    html = client.get(reverse("variants:sample", args=[sample.uuid])).content.decode()
    assert re.search(r'<script[^>]+src="/static/django_htmx/[^"]+\.js"', html)
    assert not INLINE["inline script"].search(html)
    assert '"includeIndicatorStyles": false' in html


def test_production_sets_hsts_secure_cookies_and_https():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({name: getattr(s, name) for name in "
        "('SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SESSION_COOKIE_SECURE', "
        "'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS')}))"
    )
    result = start_django({}, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
    }


# --- request size limits ----------------------------------------------------------------------------------------


def test_uploaded_files_go_to_disk_and_form_data_is_bounded():
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440  # a larger file is streamed to a temporary file
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10_485_760  # form fields, not files
    assert settings.CRBN_UPLOAD_MAX_BYTES > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_an_oversized_form_is_refused_with_400_not_a_server_error(client: Client, settings, db):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = client.post(reverse("login"), {"username": "x" * 2_000, "password": "y"})
    assert response.status_code == 400


def test_a_file_larger_than_the_form_limit_is_not_counted_against_it(client: Client, settings, db, tmp_path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    big = tmp_path / "calls.vcf"
    big.write_bytes(b"#" * 5_000)
    with big.open("rb") as handle:
        response = client.post(reverse("login"), {"username": "x", "password": "y", "file": handle})
    assert response.status_code == 200  # the login form answers (wrong password); the file did not trip the limit
