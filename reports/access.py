"""Who may do what to a relapse report. The services enforce these; the report page asks them to offer only the
actions the user may take. Seeing a report at all is the chokepoint's question (``Report.objects.visible_to``).

Model permissions come from role groups that span institutions, so each action also needs the role at the
report's own institution (``has_role_in``)."""

from typing import Any

from django.core.exceptions import PermissionDenied

from crbn_portal.permissions import has_role_in
from crbn_portal.roles import Role
from patients.models import Sample

from .models import Report, ReportStatus

# Lab scientists draft a report from their result and submit it; only clinicians review, sign and amend.
AUTHOR_ROLES = frozenset({Role.CLINICIAN, Role.LAB_SCIENTIST})
CLINICIAN_ROLES = frozenset({Role.CLINICIAN})


def may_draft(user: Any, sample: Sample) -> bool:
    return user.has_perm("reports.add_report") and has_role_in(user, sample.institution_id, AUTHOR_ROLES)


def may_submit(user: Any, report: Report) -> bool:
    return user.has_perm("reports.change_report") and has_role_in(user, report.sample.institution_id, AUTHOR_ROLES)


def is_clinician_for(user: Any, report: Report) -> bool:
    return user.has_perm("reports.change_report") and has_role_in(user, report.sample.institution_id, CLINICIAN_ROLES)


def may_review(user: Any, report: Report) -> bool:
    """A second opinion: a clinician of the institution who did not write the report."""
    return is_clinician_for(user, report) and report.created_by_id != user.pk


def may_amend(user: Any, report: Report) -> bool:
    return is_clinician_for(user, report)


def allowed_actions(user: Any, report: Report) -> frozenset[str]:
    """The actions the report page offers this user now (the services check again when one is taken)."""
    status = report.status
    actions: set[str] = set()
    if status in (ReportStatus.DRAFT, ReportStatus.RETURNED) and may_submit(user, report):
        actions.add("submit")
    if status == ReportStatus.IN_REVIEW:
        if may_review(user, report):
            actions.add("review")
        if is_clinician_for(user, report):
            actions |= {"return", "sign"}
    if status == ReportStatus.SIGNED and may_amend(user, report) and not hasattr(report, "amendment"):
        actions.add("amend")
    if report.render_status == Report.RenderStatus.FAILED and is_clinician_for(user, report):
        actions.add("render")
    return frozenset(actions)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)
