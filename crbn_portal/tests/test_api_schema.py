"""The OpenAPI schema is valid without a warning, and the interactive docs load everything from the portal."""

import re

from django.contrib.staticfiles import finders
from django.core.management import call_command
from rest_framework.test import APIClient

EXTERNAL_URL = re.compile(r"https?://(?!testserver)[\w.-]+")


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn: an endpoint the generator had to guess about fails the suite, not the lab's client.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    schema = (tmp_path / "schema.yaml").read_text()
    assert "title: CRBN Portal API" in schema
    assert "/api/v1/reports/{uuid}/sign/:" in schema and "tokenAuth" in schema


def test_the_schema_is_served_as_openapi_3(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_docs_page_and_its_script_name_no_external_host(db):
    client = APIClient()
    page = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert (page.status_code, script.status_code) == (200, 200)
    assert EXTERNAL_URL.findall(page.content.decode()) == []
    assert EXTERNAL_URL.findall(script.content.decode()) == []
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page.content.decode()


def test_the_docs_page_holds_no_inline_style_or_script_which_the_content_security_policy_refuses(db):
    html = APIClient().get("/api/docs/").content.decode()

    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "/static/css/api_docs.css" in html


def test_the_swagger_ui_files_are_static_files_of_the_portal():
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js") is not None
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css") is not None
