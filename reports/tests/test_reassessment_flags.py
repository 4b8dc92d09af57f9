"""A knowledge-base activation never rewrites a signed report: it flags the changed call for amendment."""

import pytest

from patients.tests.factories import PatientFactory, SampleFactory
from rules import services as rules_services
from rules.models import CallChange, Trigger
from rules.tests.stored import class_b_sample, edited_texts

from .reporting import signed

pytestmark = pytest.mark.django_db


def assessed_class_b_sample(institution, accession):
    sample = SampleFactory(patient=PatientFactory(institution=institution), accession=accession, purity_pct=90)
    class_b_sample(sample)
    rules_services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)
    return sample


def test_changed_calls_are_flagged_only_where_a_signed_report_states_them(
    world, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    curator, clinician = world.users["curator_a"], world.users["clinician_a"]
    reported = assessed_class_b_sample(world.inst_a, "SIGNED-1")
    assessed_class_b_sample(world.inst_a, "OPEN-1")
    report = signed(reported, clinician, clinician)
    release = rules_services.release_load_draft(
        by=curator, texts=edited_texts("2026.12-flag", lenalidomide_b="reduced")
    )

    with django_capture_on_commit_callbacks(execute=True):
        rules_services.release_activate(release=release, by=curator)

    flags = dict(
        CallChange.objects.filter(drug="lenalidomide").values_list("sample__accession", "affects_signed_report")
    )
    assert flags == {"SIGNED-1": True, "OPEN-1": False}
    report.refresh_from_db()
    assert report.status == "signed"  # never rewritten
