"""The reports API: read through the chokepoint, sign with the page's rules (password, revision, role), and the
signed PDF served only when its bytes match the recorded sha256."""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from crbn_portal import lockout, otp
from crbn_portal.models import AuditEvent
from crbn_portal.tests.api_helpers import api_as, last_event, uuids
from patients.tests.factories import TEST_PASSWORD
from reports.models import RenderStatus, Report, ReportStatus, report_pdf_name
from reports.tests.reporting import assessed_sample, draft, fresh, signed, submit

Action = AuditEvent.Action


@pytest.fixture
def in_review(world):
    author = world.users["lab_scientist_a"]
    return submit(draft(assessed_sample(world.inst_a), author), author)


def sign_url(report: Report) -> str:
    return f"/api/v1/reports/{report.uuid}/sign/"


def with_pdf(report: Report, data: bytes = b"%PDF-1.7 signed") -> Report:
    name = default_storage.save(report_pdf_name(report), ContentFile(data))
    digest = hashlib.sha256(data).hexdigest()
    Report.objects.filter(pk=report.pk).update(render_status=RenderStatus.READY, pdf=name, pdf_sha256=digest)
    return fresh(report)


def test_reports_are_listed_and_filtered_by_status(world, in_review):
    client = api_as(world.users["coordinator_a"])

    assert uuids(client.get("/api/v1/reports/", {"status": "in_review"})) == [str(in_review.uuid)]
    assert client.get("/api/v1/reports/", {"status": "signed"}).json()["count"] == 0


def test_another_institution_gets_404_for_the_report_its_sign_and_pdf(world, in_review):
    client = api_as(world.users["clinician_b"])

    assert client.get(f"/api/v1/reports/{in_review.uuid}/").status_code == 404
    assert client.post(sign_url(in_review), {"password": TEST_PASSWORD, "revision": 1}).status_code == 404
    assert client.get(f"/api/v1/reports/{in_review.uuid}/pdf/").status_code == 404


def test_a_clinician_signs_with_password_and_revision(world, in_review):
    clinician = world.users["clinician_a"]

    response = api_as(clinician).post(sign_url(in_review), {"password": TEST_PASSWORD, "revision": in_review.revision})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["signed_by"], body["render_status"]) == ("signed", "clinician_a", "queued")
    event = last_event(clinician)
    assert (event.action, event.detail["from"], event.detail["to"]) == (Action.SIGN, "in_review", "signed")


def test_a_lab_scientist_may_see_but_not_sign(world, in_review):
    user = world.users["lab_scientist_a"]

    response = api_as(user).post(sign_url(in_review), {"password": TEST_PASSWORD, "revision": in_review.revision})

    assert response.status_code == 403
    assert fresh(in_review).status == ReportStatus.IN_REVIEW
    assert last_event(user).detail == {"refused": "role"}


def test_a_wrong_password_is_a_400_audited_without_the_password(world, in_review):
    clinician = world.users["clinician_a"]

    response = api_as(clinician).post(sign_url(in_review), {"password": "guess-guess", "revision": in_review.revision})

    assert response.status_code == 400
    assert response.json() == ["The password is not correct: the report was not signed."]
    assert fresh(in_review).status == ReportStatus.IN_REVIEW
    assert "guess-guess" not in str(last_event(clinician).detail)


@pytest.mark.parametrize("data", [{}, {"password": TEST_PASSWORD}, {"password": TEST_PASSWORD, "revision": "x"}])
def test_a_sign_request_missing_its_fields_is_a_400_naming_them(world, in_review, data):
    response = api_as(world.users["clinician_a"]).post(sign_url(in_review), data)

    assert response.status_code == 400
    assert "revision" in response.json()


def test_a_stale_revision_is_refused(world, in_review):
    response = api_as(world.users["clinician_a"]).post(
        sign_url(in_review), {"password": TEST_PASSWORD, "revision": in_review.revision - 1}
    )

    assert response.status_code == 400
    assert fresh(in_review).status == ReportStatus.IN_REVIEW


def test_wrong_passwords_count_towards_the_lockout_that_then_refuses_the_right_one(world, in_review, settings):
    client = api_as(world.users["clinician_a"])
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(sign_url(in_review), {"password": "guess-guess", "revision": in_review.revision})

    response = client.post(sign_url(in_review), {"password": TEST_PASSWORD, "revision": in_review.revision})

    assert (response.status_code, response.json()) == (400, [lockout.LOCKED_OUT])
    assert fresh(in_review).status == ReportStatus.IN_REVIEW


def test_an_institution_requiring_a_one_time_code_refuses_a_signer_without_one(world, in_review):
    world.inst_a.signers_require_totp = True
    world.inst_a.save()

    response = api_as(world.users["clinician_a"]).post(
        sign_url(in_review), {"password": TEST_PASSWORD, "revision": in_review.revision, "one_time_code": ""}
    )

    assert (response.status_code, response.json()) == (400, [otp.ENROL_FIRST])
    assert fresh(in_review).status == ReportStatus.IN_REVIEW


def test_the_signed_pdf_downloads_verified_and_audited(world):
    report = with_pdf(signed(assessed_sample(world.inst_a), world.users["clinician_a"], world.users["clinician_a"]))
    reader = world.users["coordinator_a"]

    response = api_as(reader).get(f"/api/v1/reports/{report.uuid}/pdf/")

    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert b"".join(response.streaming_content) == b"%PDF-1.7 signed"
    event = last_event(reader)
    assert (event.action, event.detail) == (Action.DOWNLOAD, {"sha256": report.pdf_sha256})


def test_a_pdf_whose_bytes_changed_is_refused(world):
    report = with_pdf(signed(assessed_sample(world.inst_a), world.users["clinician_a"], world.users["clinician_a"]))
    with default_storage.open(report.pdf.name, "wb") as stored:
        stored.write(b"%PDF-1.7 tampered")

    response = api_as(world.users["clinician_a"]).get(f"/api/v1/reports/{report.uuid}/pdf/")

    assert response.status_code == 409
    assert "refused" in last_event(world.users["clinician_a"]).detail


def test_a_pdf_not_rendered_yet_is_a_409(world, in_review):
    assert api_as(world.users["clinician_a"]).get(f"/api/v1/reports/{in_review.uuid}/pdf/").status_code == 409


# ---- tumour boards ----------------------------------------------------------------------------------------------


@pytest.fixture
def board(world):
    from reports.tests.boarding import add, decide, meeting

    board = meeting(world)
    decide(world, add(world, board, "R-BOARD-1"))
    return board


def test_a_clinician_reads_the_meeting_with_its_agenda_and_decision(world, board):
    body = api_as(world.users["clinician_a"]).get(f"/api/v1/meetings/{board.uuid}/").json()

    [item] = body["agenda"]
    assert (body["title"], body["attendees"]) == ("Myeloma board", ["Dr A. Haematologist", "Dr B. Pathologist"])
    assert (item["position"], item["study_id"], item["decision"]["regimen"]) == (1, "ST-R-BOARD-1", "DaraPd")
    assert item["decision"]["drugs_to_avoid"] == ["lenalidomide"]


def test_meetings_are_listed_for_board_members_only(world, board):
    assert uuids(api_as(world.users["coordinator_a"]).get("/api/v1/meetings/")) == [str(board.uuid)]
    assert uuids(api_as(world.users["lab_scientist_a"]).get("/api/v1/meetings/")) == []


def test_a_lab_scientist_of_the_institution_is_refused_the_meeting(world, board):
    user = world.users["lab_scientist_a"]

    assert api_as(user).get(f"/api/v1/meetings/{board.uuid}/").status_code == 403
    assert last_event(user).detail == {"refused": "role"}


def test_another_institution_gets_404_for_the_meeting(world, board):
    assert api_as(world.users["clinician_b"]).get(f"/api/v1/meetings/{board.uuid}/").status_code == 404
