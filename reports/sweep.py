"""Report PDFs and tumour-board packets whose Celery message was lost are queued again, or failed with a reason
their page shows (crbn_portal/sweep.py)."""

from crbn_portal.sweep import Job, not_finished, policy_from_settings, sweep

from .board_models import PacketExport, PacketStatus
from .models import RenderStatus, Report
from .tasks import render_board_packet, render_report_pdf


def _report_gave_up(report: Report, times_queued: int) -> str:
    return f"{not_finished('The PDF', times_queued)}. The signed report is unchanged; render it again or tell support."


def _packet_gave_up(export: PacketExport, times_queued: int) -> str:
    return f"{not_finished('The packet', times_queued)}. Export it again, or tell support if it fails again."


REPORT_RENDERS = Job(
    model=Report,
    status="render_status",
    queued=RenderStatus.QUEUED,
    running=RenderStatus.RENDERING,
    failed=RenderStatus.FAILED,
    task_id="render_task_id",
    error="render_error",
    finished_at="rendered_at",
    # The render's claim leaves no time; the report's last change (signing, or being queued again) comes before it.
    running_since="updated_at",
    # Set when a render fails; a clinician may then queue it again, and only the sweeps after that count.
    attempts_since="rendered_at",
    task=render_report_pdf,
    gave_up=_report_gave_up,
)

PACKET_RENDERS = Job(
    model=PacketExport,
    status="status",
    queued=PacketStatus.QUEUED,
    running=PacketStatus.RENDERING,
    failed=PacketStatus.FAILED,
    task_id="task_id",
    error="error",
    finished_at="finished_at",
    running_since="started_at",
    attempts_since=None,  # exporting again makes a new export
    task=render_board_packet,
    gave_up=_packet_gave_up,
)


def renders_sweep() -> dict[str, dict[str, int]]:
    """Queue again the report and packet renders stranded "queued" or "rendering"; give up those queued too often."""
    policy = policy_from_settings()
    return {"reports": sweep(REPORT_RENDERS, policy), "packets": sweep(PACKET_RENDERS, policy)}
