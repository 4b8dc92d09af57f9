"""A database outage: pages answer 503 with a plain message (no traceback) and recover by themselves when the
database is back. The live server reaches PostgreSQL through a TCP forwarder that the test cuts and restores."""

import urllib.error
import urllib.request

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from conftest import service_required
from crbn_portal.outage import DatabaseOutageMiddleware
from crbn_portal.tests.live_services import TcpForwarder

pytestmark = pytest.mark.services


def fetch(url: str, session: str) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={session}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def database_through_forwarder():
    """New connections (the live server opens one per request) go through a forwarder the test controls."""
    if connection.vendor != "postgresql":
        service_required("PostgreSQL (DATABASE_URL)", "")
    settings_dict = connection.settings_dict
    original = settings_dict["HOST"], settings_dict["PORT"]
    forwarder = TcpForwarder(original[0] or "127.0.0.1", int(original[1] or 5432))
    forwarder.start()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(forwarder.port)
    yield forwarder
    settings_dict["HOST"], settings_dict["PORT"] = original
    forwarder.stop()


@pytest.fixture
def session_of_clinician(world) -> str:
    client = Client()
    client.force_login(world.users["clinician_a"])
    return client.cookies["sessionid"].value


def test_pages_answer_503_while_the_database_is_away_and_recover(
    live_server, session_of_clinician, database_through_forwarder
):
    url = live_server.url + reverse("patients:list")
    assert fetch(url, session_of_clinician)[0] == 200

    database_through_forwarder.stop()
    status, headers, body = fetch(url, session_of_clinician)
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "cannot reach its database" in body
    assert "Traceback" not in body and "OperationalError" not in body

    database_through_forwarder.start()
    status, _, body = fetch(url, session_of_clinician)
    assert status == 200 and "Traceback" not in body


def test_only_database_errors_become_503(rf):
    middleware = DatabaseOutageMiddleware(lambda request: HttpResponse())
    request = rf.get("/patients/")
    assert middleware.process_exception(request, OperationalError("connection refused")).status_code == 503
    assert middleware.process_exception(request, InterfaceError("connection already closed")).status_code == 503
    assert middleware.process_exception(request, ValueError("a bug")) is None
