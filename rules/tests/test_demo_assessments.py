"""seed_demo leaves the demo with assessments, run as a lab's files would be, covering every call value."""

import pytest
from django.core.management import call_command

from rules.models import Assessment, JobStatus

pytestmark = pytest.mark.django_db

CALLS = {"resistance_likely", "resistance_possible", "uncertain", "no_alteration_detected", "not_assessable"}


def test_the_demo_opens_with_assessments_covering_every_call():
    call_command("seed_demo", "--patients-per-institution", "30", verbosity=0)

    assert not Assessment.objects.exclude(status=JobStatus.DONE).exists()
    calls = {
        finding["call"]
        for result in Assessment.objects.values_list("result", flat=True)
        for finding in result["drugs"].values()
    }
    assert calls == CALLS


@pytest.mark.usefixtures("without_demo_reports")
def test_seeding_again_with_force_replaces_the_assessments():
    call_command("seed_demo", "--patients-per-institution", "30", verbosity=0)
    first = set(Assessment.objects.values_list("pk", flat=True))

    call_command("seed_demo", "--patients-per-institution", "30", "--force", verbosity=0)

    assert Assessment.objects.exists()
    assert first.isdisjoint(Assessment.objects.values_list("pk", flat=True))
