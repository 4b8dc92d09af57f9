"""seed_demo opens with a past tumour board (its decisions recorded, linked to the line that followed where the
cohort has one, and its packet rendered) and an upcoming one with an agenda."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.board_models import Decision, Meeting, PacketStatus
from reports.receivers import PAST_BOARD_DATE

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_past_and_an_upcoming_board():
    out = io.StringIO()
    call_command("seed_demo", "--patients-per-institution", "40", stdout=out)

    past, upcoming = Meeting.objects.order_by("date")
    assert past.date == PAST_BOARD_DATE and upcoming.date > timezone.localdate()
    assert {past.institution.code, upcoming.institution.code} == {"NBH"}
    items = list(past.items.select_related("decision", "sample"))
    assert items and all(item.sample.collection_date < past.date for item in items)
    decisions = Decision.objects.filter(item__meeting=past)
    assert decisions.count() == len(items) and set(decisions.values_list("recorded_by__username", flat=True)) == {
        "clinician.nbh"
    }
    for decision in decisions.exclude(resulting_line=None):
        assert decision.resulting_line.start_date >= past.date and decision.regimen == decision.resulting_line.regimen
    export = past.exports.get()
    assert (export.status, export.done, export.created_by.username) == (
        PacketStatus.READY,
        len(items),
        "coordinator.nbh",
    )
    assert upcoming.items.exists() and not Decision.objects.filter(item__meeting=upcoming).exists()
    assert f"Demo tumour boards at NBH: {past.date:%d %b %Y} ({len(items)} decisions, packet ready)" in out.getvalue()
