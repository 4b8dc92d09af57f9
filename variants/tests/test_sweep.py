"""The sweeper for parse runs: which rows are stale (pure), what a sweep does to them (database), and, against a
real Redis, Celery beat and worker, a run whose message was lost is parsed exactly once and a duplicate message is
a no-op."""

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pytest_django.asserts import assertContains

from crbn_portal.celery import app
from crbn_portal.models import AuditEvent
from crbn_portal.staleness import Policy, Stage, Verdict, verdict
from crbn_portal.sweep import SWEEPER, settle, stale_rows, sweep
from crbn_portal.tests.live_services import ROOT, celery_worker, wait_until
from patients.tests.factories import SampleFactory
from variants import services
from variants.models import ParseRun, SpliceJunction
from variants.services import variant_file_confirm, variant_file_upload
from variants.sweep import PARSE_RUNS
from variants.tasks import ingest_file
from variants.tests.test_ingest_worker import SJ_OUT_TAB

POLICY = Policy(queued_after=timedelta(minutes=15), running_after=timedelta(hours=1), max_attempts=2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


# ---- which rows are stale: pure ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "age", "requeued", "expected"),
    [
        (Stage.QUEUED, timedelta(minutes=14), 0, Verdict.LEAVE),
        (Stage.QUEUED, timedelta(minutes=15), 0, Verdict.REQUEUE),
        (Stage.QUEUED, timedelta(minutes=15), 1, Verdict.REQUEUE),
        (Stage.QUEUED, timedelta(minutes=15), 2, Verdict.FAIL),
        (Stage.RUNNING, timedelta(minutes=59), 5, Verdict.LEAVE),
        (Stage.RUNNING, timedelta(hours=1), 0, Verdict.REQUEUE),
        (Stage.RUNNING, timedelta(hours=3), 2, Verdict.FAIL),
    ],
)
def test_a_row_is_queued_again_once_stale_and_given_up_after_the_attempts(stage, age, requeued, expected):
    assert verdict(stage=stage, since=NOON - age, now=NOON, requeued=requeued, policy=POLICY) is expected


def test_the_beat_schedule_names_each_apps_sweep_task_by_string():
    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert tasks == {"variants.tasks.sweep_parse_runs", "reports.tasks.sweep_renders"}
    assert tasks <= set(app.tasks)
    # On the default queue: the render workers stay free for PDFs, and the sweeps run where ingests run.
    assert {app.amqp.router.route({}, task)["queue"].name for task in tasks} == {"default"}


# ---- what a sweep does to the rows: database ---------------------------------------------------------------------


def confirmed_run(world, name: str = "SJ.out.tab") -> ParseRun:
    """A confirmed junction file whose parse run is queued but whose message was never sent: a lost message."""
    sample = SampleFactory(patient__institution=world.inst_a, genome_build="GRCh38")
    upload = SimpleUploadedFile(name, SJ_OUT_TAB)
    variant_file, _ = variant_file_upload(sample=sample, upload=upload, by=world.users["lab_scientist_a"])
    return variant_file_confirm(variant_file=variant_file, by=None, enqueue=False)


def sweep_at(moment: datetime, capture) -> tuple[dict[str, int], int]:
    """(verdicts, messages sent): the sweep's after-commit enqueues are captured, not sent."""
    with capture() as callbacks:
        verdicts = sweep(PARSE_RUNS, POLICY, now=moment)
    return verdicts, len(callbacks)


def sweeps_of(run: ParseRun) -> list[tuple[str, int]]:
    events = AuditEvent.objects.filter(object_uuid=run.uuid, username=SWEEPER).order_by("at", "id")
    return [(event.detail["sweep"], event.detail["attempt"]) for event in events]


def test_a_fresh_queued_run_is_left_alone(world, django_capture_on_commit_callbacks):
    run = confirmed_run(world)
    assert sweep_at(run.updated_at + timedelta(minutes=14), django_capture_on_commit_callbacks) == ({}, 0)
    assert ParseRun.objects.get(pk=run.pk).status == ParseRun.Status.QUEUED


def test_a_stale_queued_run_is_queued_again_and_recorded(world, django_capture_on_commit_callbacks):
    run = confirmed_run(world)
    later = run.updated_at + timedelta(minutes=16)

    assert sweep_at(later, django_capture_on_commit_callbacks) == ({"requeued": 1}, 1)
    run.refresh_from_db()
    assert (run.status, run.updated_at) == (ParseRun.Status.QUEUED, later)
    assert sweeps_of(run) == [("requeued", 1)]
    # Queuing again counts as its last change: the next sweep waits another full interval.
    assert sweep_at(later + timedelta(minutes=10), django_capture_on_commit_callbacks) == ({}, 0)


def test_a_run_left_running_past_the_attempts_fails_with_a_reason_on_the_sample_page(
    world, client, django_capture_on_commit_callbacks
):
    run = confirmed_run(world, name="relapse.SJ.out.tab")
    started = run.created_at
    ParseRun.objects.filter(pk=run.pk).update(status=ParseRun.Status.RUNNING, task_id="lost", started_at=started)

    for hours in (1, 2):  # each time queued again, then claimed by a worker that dies in turn
        assert sweep_at(started + timedelta(hours=hours, minutes=1), django_capture_on_commit_callbacks)[0] == {
            "requeued": 1
        }
        ParseRun.objects.filter(pk=run.pk).update(status=ParseRun.Status.RUNNING, task_id=f"lost-{hours}")
    assert sweep_at(started + timedelta(hours=3), django_capture_on_commit_callbacks) == ({"failed": 1}, 0)

    run.refresh_from_db()
    assert run.status == ParseRun.Status.FAILED and run.finished_at is not None
    assert run.error == (
        "relapse.SJ.out.tab: the parse was queued 3 times and no worker finished it (the background workers may be "
        "stopped, or their queue was lost). The file is kept; tell support."
    )
    assert sweeps_of(run) == [("requeued", 1), ("requeued", 2), ("failed", 2)]
    client.force_login(world.users["lab_scientist_a"])
    assertContains(client.get(reverse("variants:sample", args=[run.file.sample.uuid])), run.error)


def test_a_row_a_worker_claimed_meanwhile_is_not_touched(world, django_capture_on_commit_callbacks):
    """The sweeper's update is conditional on the row it read: a claim in between wins."""
    run = confirmed_run(world)
    later = run.updated_at + timedelta(hours=1)
    [stale] = stale_rows(PARSE_RUNS, POLICY, later)
    ParseRun.objects.filter(pk=run.pk).update(status=ParseRun.Status.RUNNING, task_id="worker")

    with django_capture_on_commit_callbacks() as callbacks:
        assert settle(PARSE_RUNS, stale, POLICY, later) is Verdict.LEAVE
    assert callbacks == [] and sweeps_of(run) == []
    assert ParseRun.objects.get(pk=run.pk).task_id == "worker"


def test_a_late_finisher_does_not_overwrite_a_run_another_task_took_over(world, monkeypatch):
    """A worker that outlived its claim (the sweeper queued the run again and another task took it) drops its
    result: the new claimant's rows and state stand."""
    run = confirmed_run(world)
    parse = services._parse

    def parse_then_lose_the_claim(parse_run, on_progress):
        result = parse(parse_run, on_progress)
        ParseRun.objects.filter(pk=parse_run.pk).update(task_id="the-new-claimant")
        return result

    monkeypatch.setattr(services, "_parse", parse_then_lose_the_claim)
    services.parse_run_execute(run_id=run.pk, task_id="the-late-finisher")

    run.refresh_from_db()
    assert (run.status, run.task_id, run.finished_at) == (ParseRun.Status.RUNNING, "the-new-claimant", None)
    assert not SpliceJunction.objects.filter(source_file=run.file).exists()


# ---- against the real services: Redis, Celery beat and a worker, PostgreSQL ---------------------------------------


@pytest.fixture
def fast_sweeps(worker_environment) -> dict[str, str]:
    """A worker and a beat that sweep every second and find a run stale after two seconds queued."""
    return {**worker_environment, "CRBN_SWEEP_EVERY_SECONDS": "1", "CRBN_SWEEP_QUEUED_AFTER_SECONDS": "2"}


@pytest.fixture
def beat(fast_sweeps, tmp_path):
    """Celery beat as `docker compose` runs it: its own process, its schedule file in a folder of its own."""
    command = [sys.executable, "-m", "celery", "-A", "crbn_portal", "beat", "--loglevel", "WARNING"]
    process = subprocess.Popen([*command, "--schedule", str(tmp_path / "beat-schedule")], cwd=ROOT, env=fast_sweeps)
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def empty_queues(worker_environment):
    """Messages left in this Redis database by an earlier, interrupted run would be delivered to this test's worker."""
    app.control.purge()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_message_was_lost_is_parsed_exactly_once_after_the_sweep(world, fast_sweeps, empty_queues, beat):
    run = confirmed_run(world)  # queued, its message never sent
    with celery_worker(fast_sweeps, queues="default"):
        wait_until(lambda: ParseRun.objects.get(pk=run.pk).finished, 60, "the swept parse run", 0.2)
        run.refresh_from_db()
        task_id = run.task_id
        # A duplicate message for the run, as a second sweep or a redelivery would send: the claim refuses it.
        ingest_file.delay(run.pk).get(timeout=30)

    run.refresh_from_db()
    assert run.status == ParseRun.Status.SUCCEEDED, run.error
    assert (run.records_kept, run.task_id) == (3, task_id)
    assert sorted(SpliceJunction.objects.filter(source_file=run.file).values_list("reads", flat=True)) == [30, 40, 60]
    assert ParseRun.objects.filter(file=run.file).count() == 1
    assert ("requeued", 1) in sweeps_of(run)
    uuid.UUID(task_id)  # a real Celery task id: the swept message's, not a placeholder
