"""Knowledge-base releases: draft -> active -> retired, one active, released content immutable, the diff, and
the re-assessment an activation starts."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Sample
from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory
from rules import services
from rules.diff import Change, FieldChange
from rules.engine import load_kb
from rules.engine.kb import KB_FILES
from rules.models import (
    Assessment,
    CallChange,
    JobStatus,
    KnowledgeBaseRelease,
    ReassessmentRun,
    ReleaseImmutableError,
    ReleaseStatus,
    Trigger,
)
from rules.tests.stored import class_b_sample, edited_texts, parsed_file
from variants.models import FileKind


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def curator(world):
    return world.users["curator_a"]


@pytest.fixture
def active(curator):
    release = services.release_load_draft(by=curator)
    services.release_activate(release=release, by=curator)
    release.refresh_from_db()
    return release


def draft(curator, release_id: str = "2026.12-test", **edits: str) -> KnowledgeBaseRelease:
    return services.release_load_draft(by=curator, texts=edited_texts(release_id, **edits))


# ---- loading ----------------------------------------------------------------------------------------------------


def test_a_draft_is_loaded_from_the_bundled_files(curator):
    release = services.release_load_draft(by=curator)

    bundled = load_kb()
    assert (release.release_id, release.status, release.sha256) == (
        bundled.release,
        ReleaseStatus.DRAFT,
        bundled.sha256,
    )
    assert sorted(release.files) == sorted(KB_FILES)
    assert release.loaded_by == curator


def test_loading_the_same_draft_again_replaces_it(curator):
    first = draft(curator, lenalidomide_b="reduced")
    second = draft(curator, lenalidomide_b="resistant")

    assert first.pk == second.pk
    assert KnowledgeBaseRelease.objects.count() == 1
    assert "call: reduced" not in second.files["calls.yaml"].split("  C:")[0].split("  B:")[1]


def test_an_invalid_draft_is_refused_with_its_file_and_key(curator):
    texts = edited_texts("2026.12-bad", lenalidomide_b="resistant")
    texts["calls.yaml"] = texts["calls.yaml"].replace("tier: II", "tier: I", 1)

    with pytest.raises(ValidationError) as refused:
        services.release_load_draft(by=curator, texts=texts)

    assert "calls.yaml: classes.A.drugs.thalidomide.tier: 'I' is not allowed" in refused.value.messages[0]
    assert not KnowledgeBaseRelease.objects.exists()


def test_a_released_id_cannot_be_loaded_again(active, curator):
    with pytest.raises(ValidationError, match="already active; give the draft a new release id"):
        services.release_load_draft(by=curator)


# ---- draft -> active -> retired ---------------------------------------------------------------------------------


def test_activating_a_draft_retires_the_active_release(active, curator):
    newer = draft(curator)

    services.release_activate(release=newer, by=curator)

    active.refresh_from_db()
    newer.refresh_from_db()
    assert (active.status, newer.status) == (ReleaseStatus.RETIRED, ReleaseStatus.ACTIVE)
    assert active.retired_at is not None and newer.activated_by == curator
    assert KnowledgeBaseRelease.objects.filter(status=ReleaseStatus.ACTIVE).count() == 1


def test_only_a_draft_can_be_activated(active, curator):
    with pytest.raises(ValidationError, match="only a draft can be activated"):
        services.release_activate(release=active, by=curator)


def test_the_database_holds_at_most_one_active_release(active, curator):
    second = draft(curator)

    with pytest.raises(IntegrityError), transaction.atomic():
        KnowledgeBaseRelease.objects.filter(pk=second.pk).update(
            status=ReleaseStatus.ACTIVE, activated_at=timezone.now()
        )


# ---- released content is immutable -----------------------------------------------------------------------------


def test_the_model_refuses_to_change_an_active_release(active):
    active.files = {**active.files, "wording.yaml": "calls: {}\n"}

    with pytest.raises(ReleaseImmutableError, match="its files cannot change"):
        active.save()


def test_the_model_refuses_to_send_a_release_back_to_draft_or_delete_it(active):
    active.status = ReleaseStatus.DRAFT
    with pytest.raises(ReleaseImmutableError, match="cannot return to draft"):
        active.save()
    with pytest.raises(ReleaseImmutableError):
        KnowledgeBaseRelease.objects.get(pk=active.pk).delete()


def test_a_retired_release_may_change_status_fields_only(active, curator):
    services.release_activate(release=draft(curator), by=curator)
    active.refresh_from_db()

    active.sha256 = "0" * 64
    with pytest.raises(ReleaseImmutableError, match="retired: its sha256 cannot change"):
        active.save()


@pytest.mark.parametrize(
    "change", [{"files": {}}, {"sha256": "0" * 64}, {"release_id": "renamed"}, {"status": ReleaseStatus.DRAFT}]
)
def test_the_database_refuses_to_change_an_active_release_behind_the_models_back(active, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        KnowledgeBaseRelease.objects.filter(pk=active.pk).update(**change)

    active.refresh_from_db()
    assert (active.status, active.sha256) == (ReleaseStatus.ACTIVE, load_kb().sha256)


def test_the_database_refuses_to_delete_a_released_release_but_not_a_draft(active, curator):
    with pytest.raises(IntegrityError), transaction.atomic():
        KnowledgeBaseRelease.objects.filter(pk=active.pk).delete()

    KnowledgeBaseRelease.objects.filter(pk=draft(curator).pk).delete()
    assert list(KnowledgeBaseRelease.objects.all()) == [active]


def test_a_draft_may_still_change(curator):
    release = draft(curator)

    KnowledgeBaseRelease.objects.filter(pk=release.pk).update(summary="edited")
    release.summary = "edited again"
    release.save()


# ---- the diff ---------------------------------------------------------------------------------------------------


def test_the_diff_shows_the_call_a_draft_changes(active, curator):
    entries = services.release_diff(draft(curator, lenalidomide_b="reduced"), active)

    changed_calls = [item for item in entries if item.section == "calls"]
    assert [(item.key, item.change) for item in changed_calls] == [("B.lenalidomide", Change.CHANGED)]
    assert FieldChange("call", "resistant", "reduced") in changed_calls[0].fields


def test_a_draft_with_the_same_statements_shows_no_change(active, curator):
    entries = services.release_diff(draft(curator, lenalidomide_b="resistant"), active)

    assert entries == ()


def test_without_an_active_release_everything_is_new(curator):
    entries = services.release_diff(draft(curator), None)

    assert entries and {item.change for item in entries} == {Change.ADDED}


# ---- activation re-assesses in the background -------------------------------------------------------------------


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


def test_activation_reassesses_every_sample_and_lists_the_changed_calls(
    active, curator, world, eager, django_capture_on_commit_callbacks
):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), purity_pct=90)
    class_b_sample(sample)
    before = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)
    newer = draft(curator, lenalidomide_b="reduced")

    with django_capture_on_commit_callbacks(execute=True):
        run = services.release_activate(release=newer, by=curator)

    run.refresh_from_db()
    after = Assessment.objects.get(reassessment=run)
    assert (run.status, run.done, run.total) == (JobStatus.DONE, 1, 1)
    assert (after.release, after.trigger) == (newer, Trigger.ACTIVATION)
    change = CallChange.objects.get(run=run)
    assert (change.sample, change.drug, change.previous, change.assessment) == (sample, "lenalidomide", before, after)
    assert (change.old_call, change.new_call) == ("resistance_likely", after.calls["lenalidomide"])
    assert change.new_call != change.old_call
    assert "B.lenalidomide" in change.entry
    assert change.affects_signed_report is False  # checked by the reports app: no signed report


def test_a_redelivered_reassessment_resumes_without_repeating_a_sample(active, curator, world):
    first, second = (SampleFactory(patient=PatientFactory(institution=world.inst_a)) for _ in range(2))
    for sample in (first, second):
        class_b_sample(sample)
    run = ReassessmentRun.objects.create(release=active, status=JobStatus.RUNNING, task_id="task-1")
    services.assessment_run(sample=first, trigger=Trigger.ACTIVATION, reassessment=run)  # before the worker died

    services.reassess_all(run_id=run.pk, task_id="task-1")
    services.reassess_all(run_id=run.pk, task_id="task-2")  # another claim on a finished run: nothing

    run.refresh_from_db()
    assert (run.status, run.done, run.total) == (JobStatus.DONE, 2, 2)
    assert sorted(run.assessments.values_list("sample_id", flat=True)) == sorted([first.pk, second.pk])


def test_changes_are_measured_against_the_previous_release_not_a_newer_assessment(active, curator, world):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), purity_pct=90)
    class_b_sample(sample)
    services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)
    run = services.release_activate(release=draft(curator, lenalidomide_b="reduced"), by=curator)
    services.assessment_run(sample=sample, trigger=Trigger.INGEST)  # a file parsed before the worker started

    services.reassess_all(run_id=run.pk, task_id="task-1")

    change = CallChange.objects.get(run=run)
    assert (change.drug, change.old_call) == ("lenalidomide", "resistance_likely")


def assessed_patients(world, count: int) -> list[Sample]:
    """Patients with a treatment line, a measured baseline and a class B relapse already assessed."""
    relapses = []
    for _ in range(count):
        patient = PatientFactory(institution=world.inst_a)
        TreatmentLineFactory(patient=patient, drugs=["lenalidomide", "dexamethasone"], end_date=date(2022, 6, 30))
        baseline = SampleFactory(patient=patient, timepoint=Sample.Timepoint.BASELINE, collection_date=date(2019, 3, 1))
        parsed_file(baseline, FileKind.SMALL_VARIANTS)
        relapse = SampleFactory(patient=patient, purity_pct=90)
        class_b_sample(relapse)
        parsed_file(relapse, FileKind.COPY_NUMBER)
        services.assessment_run(sample=relapse, trigger=Trigger.ON_DEMAND)
        relapses.append(relapse)
    return relapses


def test_a_reassessment_reads_a_chunk_of_samples_with_a_bounded_number_of_queries(
    active, curator, world, django_assert_max_num_queries
):
    assessed_patients(world, 10)  # 20 samples with facts, one chunk
    run = services.release_activate(release=draft(curator, lenalidomide_b="reduced"), by=curator)

    # Per sample this was ~20 queries (its files, rows, baseline, lines, previous assessment, its own commit).
    with django_assert_max_num_queries(30):
        services.reassess_all(run_id=run.pk, task_id="task-1")

    run.refresh_from_db()
    assert (run.status, run.done, run.total) == (JobStatus.DONE, 20, 20)
    assert CallChange.objects.filter(run=run, drug="lenalidomide").count() == 10


def test_a_chunk_is_stored_whole_or_not_at_all(active, curator, world, monkeypatch):
    relapses = assessed_patients(world, 2)
    monkeypatch.setattr(services, "REASSESS_CHUNK", 2)
    changes = services._changes

    def failing(run, previous, current):  # type: ignore[no-untyped-def]
        if current.sample == relapses[1]:
            raise RuntimeError("database went away")
        return changes(run, previous, current)

    monkeypatch.setattr(services, "_changes", failing)
    run = services.release_activate(release=draft(curator, lenalidomide_b="reduced"), by=curator)

    services.reassess_all(run_id=run.pk, task_id="task-1")

    # Samples by id: the first patient's baseline and relapse, then the second's; the second chunk failed.
    run.refresh_from_db()
    assert (run.status, run.done) == (JobStatus.FAILED, 2)
    assert sorted(run.assessments.values_list("sample_id", flat=True)) == sorted(
        [relapses[0].pk, relapses[0].patient.samples.get(timepoint=Sample.Timepoint.BASELINE).pk]
    )
    assert list(CallChange.objects.filter(run=run).values_list("sample_id", flat=True)) == [relapses[0].pk]
