"""Reads for the report pages (the worklist's reads live in selectors.py). Every report and sample is fetched
through the chokepoint, ``visible_to(user)``: one the user may not see is a 404."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from crbn_portal import page_cache
from crbn_portal.permissions import access_key, get_visible_or_404
from patients.models import Sample
from rules.models import Assessment

from . import access
from .document import document_context, render_document_html
from .models import Report, ReportReview, ReviewDecision
from .services import latest_assessment, report_meta


def require_reader(user: Any) -> None:
    access.require(user.has_perm("reports.view_report"), "Your role does not read relapse reports.")


def report_get(*, user: Any, uuid: UUID) -> Report:
    visible = Report.objects.visible_to(user).select_related("sample__patient", "sample__institution", "assessment")
    return _with_people(get_object_or_404(visible, uuid=uuid))


def _with_people(report: Report) -> Report:
    """The author, last changer and signer in one query of their own: as three more joins above they cost
    PostgreSQL about 6 ms to plan, ten times what this query costs."""
    people = get_user_model().objects.in_bulk({report.created_by_id, report.changed_by_id, report.signed_by_id})
    for relation in ("created_by", "changed_by", "signed_by"):
        person_id = getattr(report, f"{relation}_id")
        if person_id is not None:
            setattr(report, relation, people[person_id])
    return report


def sample_get(*, user: Any, uuid: UUID) -> Sample:
    return get_visible_or_404(Sample, user, uuid=uuid)


def sample_reports(sample: Sample) -> QuerySet[Report]:
    return Report.objects.filter(sample=sample).select_related("created_by", "signed_by").order_by("-version")


@dataclass(frozen=True)
class ReviewState:
    """Where the current review round stands against the institution's second-reviewer rule."""

    required: bool
    approvals: tuple[ReportReview, ...]

    def satisfied_for(self, signer: Any) -> bool:
        """The signer's own approval does not count: the rule asks for a second clinician."""
        return not self.required or any(review.reviewer_id != signer.pk for review in self.approvals)


def review_state(report: Report, reviews: Sequence[ReportReview]) -> ReviewState:
    """``reviews``: every review of the report, as the page lists them."""
    approvals = tuple(
        review for review in reviews if review.round == report.round and review.decision == ReviewDecision.APPROVE
    )
    return ReviewState(report.sample.institution.requires_second_reviewer, approvals if report.round else ())


def preview_html(report: Report, user: Any) -> SafeString:
    """The document as the browser shows it, built from the same template as the PDF. Reused until any data
    changes (crbn_portal/page_cache.py), between readers with the same access (it shows the MRN only to some)."""
    key = (report.pk, report.revision, access_key(user), timezone.localdate())
    return mark_safe(page_cache.cached("report-preview", key, lambda: _document_html(report, user)))


def _document_html(report: Report, user: Any) -> str:
    context = document_context(sample=report.sample, assessment=report.assessment, meta=report_meta(report), user=user)
    # The document module renders through Django templates, which escape every value.
    return render_document_html(context=context, for_pdf=False)


def newer_assessment(report: Report) -> Assessment | None:
    """A completed assessment made after the one an unsigned report states (the signer should know)."""
    if report.sealed:
        return None
    latest = latest_assessment(report.sample)
    return latest if latest is not None and latest.pk != report.assessment_id else None


def report_page_context(*, report: Report, user: Any) -> dict[str, Any]:
    reviews = list(report.reviews.select_related("reviewer"))
    state = review_state(report, reviews)
    return {
        "report": report,
        "sample": report.sample,
        "versions": sample_reports(report.sample),
        "reviews": reviews,
        "review_state": state,
        "sign_ready": state.satisfied_for(user),
        "actions": access.allowed_actions(user, report),
        "is_author": report.created_by_id == user.pk,
        "newer_assessment": newer_assessment(report),
        "preview": preview_html(report, user),
        "polling": report.render_status in (Report.RenderStatus.QUEUED, Report.RenderStatus.RENDERING),
    }


def render_status_context(*, report: Report, user: Any) -> dict[str, Any]:
    return {
        "report": report,
        "actions": access.allowed_actions(user, report),
        "polling": report.render_status in (Report.RenderStatus.QUEUED, Report.RenderStatus.RENDERING),
    }


def sample_page_context(*, sample: Sample, user: Any) -> dict[str, Any]:
    return {
        "sample": sample,
        "reports": sample_reports(sample),
        "assessment": latest_assessment(sample),
        "may_draft": access.may_draft(user, sample) and not Report.objects.filter(sample=sample).exists(),
    }
