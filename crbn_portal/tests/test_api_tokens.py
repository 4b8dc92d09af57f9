"""Per-user API tokens: made and revoked on the account page, hashed at rest, acting at one institution only,
their last use recorded (at most once a minute)."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crbn_portal import tokens
from crbn_portal.models import ApiToken, AuditEvent
from crbn_portal.roles import Role
from patients.tests.factories import MembershipFactory, PatientFactory, SampleFactory
from rules.tests.stored import parsed_file
from variants.models import FileKind


def token_client(secret: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    return client


@pytest.fixture
def lab(world):
    """A lab scientist at both institutions."""
    user = world.users["lab_scientist_a"]
    MembershipFactory(user=user, institution=world.inst_b, role=Role.LAB_SCIENTIST)
    return user


@pytest.fixture
def samples(world):
    return {
        code: SampleFactory(patient=PatientFactory(institution=institution), accession=f"{code}-1")
        for code, institution in (("NBH", world.inst_a), ("LCC", world.inst_b))
    }


def test_only_the_secrets_digest_is_stored(world, lab):
    token, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.digest, stored.prefix, stored.name}
    assert secret.startswith(stored.prefix) and len(secret) > 40


def test_a_token_acts_only_at_its_institution_though_its_user_belongs_to_two(world, lab, samples):
    _, secret = tokens.token_create(user=lab, institution=world.inst_b, name="LCC LIMS")
    client = token_client(secret)

    listed = client.get("/api/v1/samples/").json()
    assert [row["accession"] for row in listed["results"]] == ["LCC-1"]
    assert client.get(f"/api/v1/samples/{samples['NBH'].uuid}/").status_code == 404
    assert [row["code"] for row in client.get("/api/v1/institutions/").json()["results"]] == ["LCC"]


def test_a_token_uploads_only_at_its_institution(world, lab, samples):
    _, secret = tokens.token_create(user=lab, institution=world.inst_b, name="LCC LIMS")
    client = token_client(secret)

    def upload(sample):
        part = SimpleUploadedFile("x.SJ.out.tab", b"3\t3100000\t3101000\t1\t1\t1\t12\t0\t40\n")
        return client.post(f"/api/v1/samples/{sample.uuid}/files/", {"file": [part]}, format="multipart")

    assert upload(samples["NBH"]).status_code == 404
    assert upload(samples["LCC"]).status_code == 201


def test_a_token_downloads_raw_files_through_the_pages_download(world, lab, samples):
    """The raw download reuses the page's view, which reads the user from the underlying request."""
    variant_file = parsed_file(samples["NBH"], FileKind.SMALL_VARIANTS, name="relapse.vcf")
    _, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")

    response = token_client(secret).get(f"/api/v1/files/{variant_file.uuid}/raw/")

    assert response.status_code == 200 and b"".join(response.streaming_content) == b"#"


def test_the_same_user_in_the_browser_sees_both_institutions(world, lab, samples):
    client = APIClient()
    client.force_login(lab)

    assert client.get("/api/v1/samples/").json()["count"] == 2


def test_a_superusers_token_is_still_one_institutions(world, samples):
    root = world.users["superuser"]
    MembershipFactory(user=root, institution=world.inst_a, role=Role.LAB_SCIENTIST)
    _, secret = tokens.token_create(user=root, institution=world.inst_a, name="admin script")

    listed = token_client(secret).get("/api/v1/samples/").json()

    assert [row["accession"] for row in listed["results"]] == ["NBH-1"]


def test_bearer_is_accepted_too(world, lab, samples):
    _, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")

    assert token_client(secret, "Bearer").get("/api/v1/samples/").json()["count"] == 1


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token crbn_unknown"])
def test_a_malformed_or_unknown_token_is_refused(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/samples/")

    assert response.status_code == 401
    assert "token" in response.json()["detail"].lower() or "header" in response.json()["detail"].lower()


def test_a_revoked_token_is_refused(world, lab):
    token, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")
    tokens.token_revoke(token=token)

    response = token_client(secret).get("/api/v1/samples/")

    assert (response.status_code, response.json()["detail"]) == (401, "The token is unknown or has been revoked.")


def test_an_inactive_users_token_is_refused(world, lab):
    _, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")
    lab.is_active = False
    lab.save()

    assert token_client(secret).get("/api/v1/samples/").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(world, lab):
    token, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")
    client = token_client(secret)

    client.get("/api/v1/institutions/")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get("/api/v1/institutions/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first is not None

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/institutions/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_api_calls_through_a_token_are_audited_with_its_prefix(world, lab):
    token, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")

    token_client(secret).get("/api/v1/samples/")

    event = AuditEvent.objects.filter(user=lab).first()
    assert (event.action, event.detail["token"]) == (AuditEvent.Action.LIST, token.prefix)


def test_a_token_cannot_be_made_for_an_institution_the_user_is_not_in(world):
    with pytest.raises(PermissionDenied):
        tokens.token_create(user=world.users["clinician_a"], institution=world.inst_b, name="LIMS")


# ---- the account page -------------------------------------------------------------------------------------------


@pytest.fixture
def browser(lab) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(lab)
    return client


def csrf_post(client: Client, url: str, data: dict[str, str]) -> object:
    client.get(reverse("account"))
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_the_page_offers_the_users_institutions_with_labelled_fields(browser, world):
    page = browser.get(reverse("account")).content.decode()

    assert '<label for="id_name">Name</label>' in page and '<label for="id_institution">Acts at</label>' in page
    assert "Northbridge Hospital" in page and "Lakeshore Cancer Center" in page
    assert AuditEvent.objects.first().detail == {"page": "account"}


def test_creating_shows_the_secret_once_and_audits_without_it(browser, world, lab):
    response = csrf_post(browser, reverse("account-token-create"), {"name": "LIMS", "institution": world.inst_b.pk})

    token = ApiToken.objects.get(user=lab)
    secret = response.context["secret"]
    assert response.status_code == 201 and secret in response.content.decode()
    assert token.digest == tokens.secret_digest(secret) and token.institution == world.inst_b
    event = AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN_CREATE).get()
    assert event.detail == {"name": "LIMS", "prefix": token.prefix, "institution": "LCC"}
    assert secret not in str(event.detail)
    assert secret not in browser.get(reverse("account")).content.decode()


def test_a_post_without_the_csrf_token_is_refused(browser, world):
    response = browser.post(reverse("account-token-create"), {"name": "LIMS", "institution": world.inst_a.pk})

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_an_institution_outside_the_users_memberships_is_a_form_error(world):
    client = Client()
    client.force_login(world.users["clinician_b"])

    response = client.post(reverse("account-token-create"), {"name": "LIMS", "institution": world.inst_a.pk})

    assert response.status_code == 400
    assert "institution" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoking_is_audited_and_refuses_the_token(browser, world, lab):
    token, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")

    response = csrf_post(browser, reverse("account-token-revoke", args=[token.uuid]), {})

    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at <= timezone.now()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN_REVOKE, object_uuid=token.uuid).exists()
    assert token_client(secret).get("/api/v1/samples/").status_code == 401


def test_another_users_token_cannot_be_revoked(world, lab):
    token, _ = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")
    client = Client()
    client.force_login(world.users["clinician_a"])

    assert client.post(reverse("account-token-revoke", args=[token.uuid])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_page_asks_anonymous_visitors_to_log_in(client):
    assert client.get(reverse("account")).status_code == 302


def test_it_staff_revoke_a_token_in_the_admin_and_never_see_its_secret(world, lab, admin_client):
    token, secret = tokens.token_create(user=lab, institution=world.inst_a, name="LIMS")

    change_page = admin_client.get(reverse("admin:crbn_portal_apitoken_change", args=[token.pk])).content.decode()
    response = admin_client.post(
        reverse("admin:crbn_portal_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert response.status_code == 302
    assert token.prefix in change_page and token.digest not in change_page and secret not in change_page
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TOKEN_REVOKE, object_uuid=token.uuid).exists()
    assert token_client(secret).get("/api/v1/samples/").status_code == 401
