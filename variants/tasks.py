"""Celery tasks: ids in, one service call."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def ingest_file(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    from .services import parse_run_execute

    parse_run_execute(run_id=run_id, task_id=self.request.id)


# Run by Celery beat (CELERY_BEAT_SCHEDULE). A lost sweep is harmless: the next one finds the same rows.
@shared_task
def sweep_parse_runs() -> dict[str, int]:
    from .sweep import parse_runs_sweep

    return parse_runs_sweep()
