"""Celery tasks: ids in, one service call. ``render_*`` tasks go to the render queue (CELERY_TASK_ROUTES)."""

from celery import shared_task


# The report row holds the render's state; the service claims it, so a redelivered task is a no-op or a resume.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def render_report_pdf(self, report_id: int) -> None:  # type: ignore[no-untyped-def]
    from .services import report_render_pdf

    report_render_pdf(report_id=report_id, task_id=self.request.id)


# The export row holds the packet render's state and progress; the service claims it, like a report's render.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def render_board_packet(self, export_id: int) -> None:  # type: ignore[no-untyped-def]
    from .board_services import packet_render

    packet_render(export_id=export_id, task_id=self.request.id)


# Run by Celery beat (CELERY_BEAT_SCHEDULE), on the default queue. A lost sweep is harmless: the next finds the rows.
@shared_task
def sweep_renders() -> dict[str, dict[str, int]]:
    from .sweep import renders_sweep

    return renders_sweep()
