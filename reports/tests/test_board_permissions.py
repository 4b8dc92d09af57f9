"""Who may do what with a tumour board, view by view: coordinators of the institution manage meetings and export
packets, its clinicians read them and record decisions, its other roles are refused (403), and nobody outside the
institution learns that a meeting exists (404). Anonymous visitors are sent to the login page."""

import pytest
from django.urls import reverse

from crbn_portal.models import AuditEvent
from reports import board_services
from reports.board_models import AgendaItem, Decision, Meeting, PacketExport
from reports.tests.boarding import add, decide, meeting

OUTSIDERS = ["clinician_b", "researcher_a"]  # another institution; a researcher reads the registry only
BYSTANDERS = ["lab_scientist_a", "curator_a", "admin_a"]  # in the institution, not in the board
DECISION = {"regimen": "Kd", "recommended_drugs": ["carfilzomib", "dexamethasone"], "rationale": "Triple-class."}


@pytest.fixture
def board(world):
    board = meeting(world)
    item = add(world, board, "R-1")
    decide(world, item)
    board_services.packet_export(meeting=board, by=world.users["coordinator_a"])
    return board


def urls(board: Meeting) -> dict[str, str]:
    item, export = board.items.get(), board.exports.get()
    return {
        "meeting": reverse("board:meeting", args=[board.uuid]),
        "edit": reverse("board:edit", args=[board.uuid]),
        "item": reverse("board:item", args=[item.uuid]),
        "decision": reverse("board:decision", args=[item.uuid]),
        "status": reverse("board:export_status", args=[export.uuid]),
        "pdf": reverse("board:export_pdf", args=[export.uuid]),
    }


def posts(board: Meeting) -> dict[str, tuple[str, dict]]:
    item = board.items.get()
    return {
        "agenda_add": (reverse("board:agenda_add", args=[board.uuid]), {}),
        "export": (reverse("board:export", args=[board.uuid]), {}),
        "move": (reverse("board:move", args=[item.uuid]), {"offset": "1"}),
        "remove": (reverse("board:remove", args=[item.uuid]), {}),
        "decision": (reverse("board:decision", args=[item.uuid]), DECISION),
        "link_line": (reverse("board:link_line", args=[item.uuid]), {}),
    }


def test_anonymous_visitors_are_sent_to_log_in(board, client):
    for url in [reverse("board:list"), *urls(board).values()]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_outside_the_institution_every_meeting_page_is_a_404(world, board, client, persona):
    client.force_login(world.users[persona])

    for url in urls(board).values():
        assert client.get(url).status_code == 404, url
    for url, data in posts(board).values():
        assert client.post(url, data).status_code == 404, url


def test_another_institutions_clinician_does_not_see_the_meeting_listed(world, board, client):
    client.force_login(world.users["clinician_b"])

    page = client.get(reverse("board:list")).content.decode()

    assert board.title not in page and "No meeting is planned." in page


@pytest.mark.parametrize("persona", BYSTANDERS)
def test_the_institutions_other_roles_are_refused(world, board, client, persona):
    client.force_login(world.users[persona])

    assert client.get(reverse("board:list")).status_code == 403
    for url in urls(board).values():
        assert client.get(url).status_code == 403, url
    refused = AuditEvent.objects.filter(user=world.users[persona], detail__refused="role")
    assert refused.count() == 1 + len(urls(board))


def test_a_clinician_reads_and_decides_but_does_not_manage(world, board, client):
    client.force_login(world.users["clinician_a"])
    pages = urls(board)

    for name in ("meeting", "decision", "status"):
        assert client.get(pages[name]).status_code == 200, name
    for name in ("edit", "item"):
        assert client.get(pages[name]).status_code == 403, name
    for name in ("agenda_add", "export", "move", "remove"):
        url, data = posts(board)[name]
        assert client.post(url, data).status_code == 403, name
    assert AgendaItem.objects.count() == 1 and PacketExport.objects.count() == 1


def test_a_coordinator_manages_but_does_not_decide(world, board, client):
    client.force_login(world.users["coordinator_a"])
    pages = urls(board)

    for name in ("meeting", "edit", "item", "status"):
        assert client.get(pages[name]).status_code == 200, name
    assert client.get(pages["decision"]).status_code == 403
    url, data = posts(board)["decision"]
    assert client.post(url, data).status_code == 403
    assert Decision.objects.get().regimen == "DaraPd"
    url = posts(board)["export"][0]
    assert client.post(url).status_code == 302 and PacketExport.objects.count() == 2


def test_a_coordinator_of_another_institution_cannot_plan_here(world, client):
    from crbn_portal.roles import Role
    from patients.tests.factories import MembershipFactory

    other = MembershipFactory(user__username="coordinator_b", institution=world.inst_b, role=Role.COORDINATOR).user
    client.force_login(other)
    data = {"institution": world.inst_a.pk, "date": "2026-04-02", "title": "Not mine"}

    response = client.post(reverse("board:create"), data)

    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_clinician_cannot_plan_a_meeting(world, client):
    client.force_login(world.users["clinician_a"])

    assert client.get(reverse("board:create")).status_code == 403


def test_the_superuser_sees_every_meeting(world, board, client):
    client.force_login(world.users["superuser"])

    assert client.get(urls(board)["meeting"]).status_code == 200
    assert board.title in client.get(reverse("board:list")).content.decode()
