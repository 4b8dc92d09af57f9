"""Lockout after repeated wrong passwords: at the login form, and for the password that signs a report."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from patients.tests.factories import TEST_PASSWORD
from reports.models import ReportStatus
from reports.tests.reporting import assessed_sample, draft, fresh, submit

LOGIN_URL = reverse("login")


def log_in(client: Client, password: str):
    return client.post(LOGIN_URL, {"username": "clinician_a", "password": password})


@pytest.fixture
def in_review(world):
    lab = world.users["lab_scientist_a"]
    return submit(draft(assessed_sample(world.inst_a), lab), lab)


def sign(client: Client, report, password: str):
    data = {"revision": report.revision, "password": password}
    return client.post(reverse("report:sign", args=[report.uuid]), data, follow=True)


def test_the_login_form_locks_after_the_failure_limit_even_for_the_right_password(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "wrong-password-1").status_code == 200
    locked = log_in(client, "wrong-password-1")

    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    assert log_in(client, TEST_PASSWORD).status_code == 429


def test_the_lockout_is_per_address_so_a_stranger_cannot_lock_the_owner_out(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "wrong-password-1")

    elsewhere = Client(REMOTE_ADDR="10.0.0.7").post(LOGIN_URL, {"username": "clinician_a", "password": TEST_PASSWORD})

    assert elsewhere.status_code == 302


def test_a_successful_login_before_the_limit_resets_the_count(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "wrong-password-1")
    assert log_in(client, TEST_PASSWORD).status_code == 302
    client.logout()

    assert log_in(client, "wrong-password-1").status_code == 200


def test_wrong_signing_passwords_count_and_then_signing_is_refused(client, world, in_review):
    client.force_login(world.users["clinician_a"])
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert "The password is not correct" in sign(client, in_review, "guess-1234").content.decode()
    assert sign(client, in_review, "guess-1234").status_code == 429

    refused = sign(client, in_review, TEST_PASSWORD)

    assert "Too many failed password attempts" in refused.content.decode()
    assert fresh(in_review).status == ReportStatus.IN_REVIEW
    assert Client().post(LOGIN_URL, {"username": "clinician_a", "password": TEST_PASSWORD}).status_code == 429
