"""Parse runs whose Celery message was lost are queued again, or failed with a reason (crbn_portal/sweep.py)."""

from crbn_portal.sweep import Job, not_finished, policy_from_settings, sweep

from .models import ParseRun
from .tasks import ingest_file


def _gave_up(run: ParseRun, times_queued: int) -> str:
    return f"{run.file.original_name}: {not_finished('the parse', times_queued)}. The file is kept; tell support."


PARSE_RUNS = Job(
    model=ParseRun,
    status="status",
    queued=ParseRun.Status.QUEUED,
    running=ParseRun.Status.RUNNING,
    failed=ParseRun.Status.FAILED,
    task_id="task_id",
    error="error",
    finished_at="finished_at",
    running_since="started_at",
    attempts_since=None,
    task=ingest_file,
    gave_up=_gave_up,
)


def parse_runs_sweep() -> dict[str, int]:
    """Queue again the parse runs stranded "queued" or "running"; give up those queued too often already."""
    return sweep(PARSE_RUNS, policy_from_settings())
