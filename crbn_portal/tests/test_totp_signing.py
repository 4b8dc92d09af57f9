"""One-time codes for signers: enrolment on the account page, and the sign form at an institution that requires
a code (no device: enrol first; wrong or missing code: refused; right code: signed)."""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.asserts import assertContains, assertNotContains

from crbn_portal import otp
from crbn_portal.models import AuditEvent
from patients.tests.factories import TEST_PASSWORD
from reports.models import ReportStatus
from reports.tests.reporting import assessed_sample, draft, fresh, submit

ENROL_URL = reverse("two_factor")


def current_code(device: TOTPDevice) -> str:
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    return f"{token:0{device.digits}d}"


def enrolled_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=otp.DEVICE_NAME, confirmed=True)


@pytest.fixture
def clinician(client: Client, world):
    client.force_login(world.users["clinician_a"])
    return world.users["clinician_a"]


@pytest.fixture
def in_review(world):
    world.inst_a.signers_require_totp = True
    world.inst_a.save()
    lab = world.users["lab_scientist_a"]
    return submit(draft(assessed_sample(world.inst_a), lab), lab)


def sign(client: Client, report, **fields: str):
    data = {"revision": report.revision, "password": TEST_PASSWORD, **fields}
    return client.post(reverse("report:sign", args=[report.uuid]), data, follow=True)


# --- enrolment --------------------------------------------------------------------------------------------------


def test_the_enrolment_page_shows_a_qr_code_and_the_key_to_type(client, clinician):
    response = client.get(ENROL_URL)

    device = TOTPDevice.objects.get(user=clinician, confirmed=False)
    assertContains(response, "<svg")
    assertContains(response, otp.secret_base32(device))
    assertContains(response, "No authenticator app is enrolled")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, detail={"page": "two-factor"}).count() == 1


def test_a_code_from_the_app_confirms_the_device_and_is_audited(client, clinician):
    client.get(ENROL_URL)
    device = TOTPDevice.objects.get(user=clinician)

    response = client.post(ENROL_URL, {"token": current_code(device)}, follow=True)

    assertContains(response, "Your authenticator app is enrolled")
    assert otp.confirmed_device(clinician) == device
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ENROL, user=clinician).count() == 1


def test_a_wrong_code_leaves_the_device_unconfirmed(client, clinician):
    client.get(ENROL_URL)

    response = client.post(ENROL_URL, {"token": "000000"})

    assertContains(response, "That code does not match")
    assert otp.confirmed_device(clinician) is None


def test_a_new_app_replaces_the_old_one_given_a_code_from_the_old(client, clinician):
    old = enrolled_device(clinician)
    assertContains(client.get(ENROL_URL), "Code from your current app")
    new = TOTPDevice.objects.get(user=clinician, confirmed=False)

    client.post(ENROL_URL, {"current_token": current_code(old), "token": current_code(new)})

    assert list(TOTPDevice.objects.filter(user=clinician)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("given", [{}, {"current_token": "000000"}], ids=["no current code", "wrong current code"])
def test_a_password_alone_cannot_replace_the_app(client, clinician, given):
    old = enrolled_device(clinician)
    client.get(ENROL_URL)
    new = TOTPDevice.objects.get(user=clinician, confirmed=False)

    response = client.post(ENROL_URL, {"token": current_code(new), **given})

    assertContains(response, "This field is required" if not given else "ask your IT administrator")
    assert otp.confirmed_device(clinician) == old
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ENROL).exists()


def test_wrong_codes_from_the_current_app_count_towards_the_lockout(client, clinician, settings):
    enrolled_device(clinician)
    client.get(ENROL_URL)
    new = TOTPDevice.objects.get(user=clinician, confirmed=False)
    wrong = {"current_token": "000000", "token": current_code(new)}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(ENROL_URL, wrong).status_code == 200

    assert client.post(ENROL_URL, wrong).status_code == 429
    assert otp.confirmed_device(clinician) != new


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(ENROL_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- signing ----------------------------------------------------------------------------------------------------


def test_without_a_device_the_signer_is_told_to_enrol_first(client, clinician, in_review):
    page = client.get(reverse("report:detail", args=[in_review.uuid]))
    assertContains(page, f'href="{ENROL_URL}"')
    assertNotContains(page, 'name="password"')

    response = sign(client, in_review, one_time_code="123456")

    assertContains(response, "enrol an authenticator app on your account first")
    assert fresh(in_review).status == ReportStatus.IN_REVIEW


def test_the_sign_form_asks_for_the_code_and_the_right_code_signs(client, clinician, in_review):
    device = enrolled_device(clinician)
    page = client.get(reverse("report:detail", args=[in_review.uuid]))
    assertContains(page, 'name="one_time_code"')

    sign(client, in_review, one_time_code=current_code(device))

    assert fresh(in_review).status == ReportStatus.SIGNED


@pytest.mark.parametrize("code", ["", "000000"], ids=["missing", "wrong"])
def test_a_missing_or_wrong_code_is_refused(client, clinician, in_review, code):
    enrolled_device(clinician)

    response = sign(client, in_review, one_time_code=code)

    assertContains(response, "The one-time code is not correct")
    assert fresh(in_review).status == ReportStatus.IN_REVIEW


def test_an_institution_without_the_requirement_asks_for_no_code(client, clinician, in_review, world):
    world.inst_a.signers_require_totp = False
    world.inst_a.save()
    page = client.get(reverse("report:detail", args=[in_review.uuid]))
    assertNotContains(page, 'name="one_time_code"')

    sign(client, in_review)

    assert fresh(in_review).status == ReportStatus.SIGNED
