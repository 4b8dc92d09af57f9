"""The sweeper: long work whose Celery message was lost is found by its row and queued again, or given up.

The state of every long job is a row a worker claims with a conditional update (DESIGN.md). A row can still be
stranded: "queued" when its message never reached a worker (Redis restarted without persistence, the broker down
when the job was queued, the after-commit hook failed), or "running" when its worker died and the redelivered
message was lost too. Each app describes its kinds of job with a ``Job`` and sweeps them from a periodic task
(Celery beat, CELERY_BEAT_SCHEDULE); crbn_portal.staleness decides, this module reads and writes the rows.

Queuing a row again is safe because claims are conditional: the first message to reach a worker claims the row,
and every other message for it finds the row taken or finished and does nothing. Each sweep of a row is an audit
event, which is also how its attempts are counted, so no job table needs a column for them.
"""

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from .models import AuditEvent
from .staleness import Policy, Stage, Verdict, verdict

logger = logging.getLogger(__name__)

# Shown as the audit event's user. Django usernames cannot hold parentheses, so no person can be mistaken for it.
SWEEPER = "(sweeper)"
BATCH = 200  # rows per kind and sweep; more wait for the next sweep


@dataclass(frozen=True)
class Job:
    """Where one kind of long work keeps its state (field names and values), and the task that runs it."""

    model: type[models.Model]
    status: str
    queued: str
    running: str
    failed: str
    task_id: str
    error: str
    finished_at: str
    # When the claim was made; a model without a claim time names its last change, which is no later than that.
    running_since: str
    # A person may queue a failed job again; sweeps before that no longer count. None: the row is one job.
    attempts_since: str | None
    task: Any
    gave_up: Callable[[Any, int], str]  # (row, times it was queued) -> the reason its page shows


def not_finished(what: str, times_queued: int) -> str:
    """The start of a given-up job's reason, the same words on every page."""
    return (
        f"{what} was queued {times_queued} times and no worker finished it (the background workers may be "
        "stopped, or their queue was lost)"
    )


def policy_from_settings() -> Policy:
    return Policy(
        queued_after=timedelta(seconds=settings.CRBN_SWEEP_QUEUED_AFTER_SECONDS),
        running_after=timedelta(seconds=settings.CRBN_SWEEP_RUNNING_AFTER_SECONDS),
        max_attempts=settings.CRBN_SWEEP_MAX_ATTEMPTS,
    )


def sweep(job: Job, policy: Policy, *, now: datetime | None = None) -> dict[str, int]:
    """Queue again or give up every stale row of this kind; returns how many rows got each verdict."""
    now = now or timezone.now()
    verdicts = Counter(settle(job, row, policy, now) for row in stale_rows(job, policy, now))
    return {str(key): count for key, count in verdicts.items()}


def stale_rows(job: Job, policy: Policy, now: datetime) -> models.QuerySet:
    """The rows of this kind that have sat "queued" or "running" longer than the policy allows."""
    # "queued" is measured from the row's last change: queuing (or the sweeper's re-queuing) is that change.
    queued = Q(**{job.status: job.queued, "updated_at__lte": now - policy.queued_after})
    running = Q(**{job.status: job.running, f"{job.running_since}__lte": now - policy.running_after})
    return job.model.objects.filter(queued | running).order_by("pk")[:BATCH]


def settle(job: Job, row: Any, policy: Policy, now: datetime) -> Verdict:
    """Queue the row again or give it up, unless it changed since it was read; record and log what was done."""
    stage = Stage.QUEUED if getattr(row, job.status) == job.queued else Stage.RUNNING
    since = row.updated_at if stage is Stage.QUEUED else getattr(row, job.running_since)
    requeued = _times_requeued(job, row)
    decision = verdict(stage=stage, since=since, now=now, requeued=requeued, policy=policy)
    if decision is Verdict.LEAVE:
        return decision
    with transaction.atomic():
        if not _unchanged(job, row).update(**_changes(job, row, decision, requeued, now)):
            return Verdict.LEAVE  # a worker claimed or finished it since it was read: it is not stranded
        _record(row, stage, decision, requeued)
        if decision is Verdict.REQUEUE:
            transaction.on_commit(lambda: job.task.delay(row.pk), robust=True)
    _log(row, stage, decision, requeued, policy)
    return decision


def _times_requeued(job: Job, row: Any) -> int:
    events = AuditEvent.objects.filter(
        object_uuid=row.uuid, username=SWEEPER, detail__sweep=str(Verdict.REQUEUE), object_type=row._meta.label
    )
    since = getattr(row, job.attempts_since) if job.attempts_since else None
    return (events.filter(at__gt=since) if since else events).count()


def _unchanged(job: Job, row: Any) -> models.QuerySet:
    """The row only if nothing touched it since it was read: the sweeper's own conditional claim."""
    seen = {name: getattr(row, name) for name in (job.status, job.task_id, "updated_at")}
    return job.model.objects.filter(pk=row.pk, **seen)


def _changes(job: Job, row: Any, decision: Verdict, requeued: int, now: datetime) -> dict[str, Any]:
    if decision is Verdict.REQUEUE:
        return {job.status: job.queued, job.task_id: "", "updated_at": now}
    reason = job.gave_up(row, requeued + 1)
    return {job.status: job.failed, job.error: reason, job.finished_at: now, "updated_at": now}


def _record(row: Any, stage: Stage, decision: Verdict, requeued: int) -> None:
    attempt = requeued + 1 if decision is Verdict.REQUEUE else requeued
    AuditEvent.objects.create(
        username=SWEEPER,
        action=AuditEvent.Action.CHANGE,
        object_type=row._meta.label,
        object_uuid=row.uuid,
        object_version=getattr(row, "version", None),
        detail={"sweep": str(decision), "stage": str(stage), "attempt": attempt},
    )


def _log(row: Any, stage: Stage, decision: Verdict, requeued: int, policy: Policy) -> None:
    label = f"{row._meta.verbose_name} {row.uuid}"
    if decision is Verdict.REQUEUE:
        logger.warning(
            "Swept %s, %s too long: queued again (%d of %d)", label, stage, requeued + 1, policy.max_attempts
        )
    else:
        logger.error("Swept %s, %s too long after %d re-queues: marked failed", label, stage, requeued)
