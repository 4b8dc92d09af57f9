"""Celery tasks: ids in, one service call. The row each one works on holds its state (DESIGN.md)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def assess_sample(self, assessment_id: int) -> None:  # type: ignore[no-untyped-def]
    from .services import assessment_execute

    assessment_execute(assessment_id=assessment_id, task_id=self.request.id)


# Every sample in one task: longer than the default limits. A worker killed on the hard limit has the task
# redelivered with its id, and the run resumes after the samples it already assessed.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=3600, time_limit=3660)
def reassess_release(self, run_id: int) -> None:  # type: ignore[no-untyped-def]
    from .services import reassess_all

    reassess_all(run_id=run_id, task_id=self.request.id)
