"""Writes of the report workflow: draft, submit, review, return, sign, amend, and the PDF render after signing.

Every change a person makes carries the ``revision`` of the report they were looking at; the row is updated only
``WHERE revision = seen`` and the revision goes up by one, so a decision taken on a page someone else has changed
since is refused, never silently applied to content the user did not see. Views and tasks come through here;
audit events are recorded by the views, which know the request (who, from where).
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone

from crbn_portal import otp
from crbn_portal.lockout import FailedSecret
from patients.models import Sample
from rules import adapters_db
from rules.models import Assessment

from . import access
from .document import ReportMeta, document_context, render_document_html
from .models import RenderStatus, Report, ReportReview, ReportStatus, ReviewDecision, report_pdf_name
from .pdf_files import store_pdf

logger = logging.getLogger(__name__)

RENDER_FAILED = "The PDF could not be rendered; the signed report is unchanged. Render it again or tell support."


# ---- drafting ---------------------------------------------------------------------------------------------------


def latest_assessment(sample: Sample) -> Assessment | None:
    return Assessment.objects.done().filter(sample=sample).newest_first().first()


def report_create_draft(*, sample: Sample, by: Any) -> Report:
    """Version 1 of the sample's report, stating its latest completed assessment. A sample has one report: once
    one exists it is worked on, or amended once signed."""
    access.require(access.may_draft(by, sample), "Only the institution's clinicians and lab scientists draft reports.")
    existing = Report.objects.filter(sample=sample).order_by("-version").first()
    if existing is not None:
        raise ValidationError(_existing_message(existing))
    assessment = latest_assessment(sample)
    if assessment is None:
        raise ValidationError(
            f"Sample {sample.accession} has no completed assessment yet: a report states an assessment, so it can "
            "be drafted once the assessment is done."
        )
    return _create(sample=sample, assessment=assessment, by=by)


def _existing_message(existing: Report) -> str:
    if existing.sealed:
        return f"Sample {existing.sample.accession} already has a signed report (v{existing.version}): amend it."
    return f"Sample {existing.sample.accession} already has a report being worked on (v{existing.version})."


def _create(
    *, sample: Sample, assessment: Assessment, by: Any, previous: Report | None = None, reason: str = ""
) -> Report:
    report = Report(
        sample=sample,
        assessment=assessment,
        version=previous.version + 1 if previous else 1,
        previous=previous,
        amendment_reason=reason,
        created_by=by,
        changed_by=by,
    )
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as error:
        # Two people drafting or amending at once: the version and one-open constraints let one through.
        raise ValidationError(
            f"Someone else has just started a report for sample {sample.accession}. Reload the page."
        ) from error
    return report


# ---- the review cycle -------------------------------------------------------------------------------------------


def report_submit(*, report: Report, by: Any, revision: int) -> Report:
    """Draft (or returned) -> in review, opening a new review round: approvals of an earlier round do not count."""
    access.require(access.may_submit(by, report), "Only the institution's clinicians and lab scientists submit.")
    with transaction.atomic():
        current = _locked(report, revision, allowed=(ReportStatus.DRAFT, ReportStatus.RETURNED), action="submitted")
        return _update(
            current,
            by,
            status=ReportStatus.IN_REVIEW,
            round=F("round") + 1,
            submitted_at=timezone.now(),
        )


def report_review(*, report: Report, by: Any, decision: str, comment: str, revision: int) -> Report:
    """A second clinician's decision on the submitted report: approve (it stays in review, ready to sign) or
    return it with a comment."""
    access.require(access.may_review(by, report), "A clinician of the institution other than the author reviews.")
    if decision == ReviewDecision.RETURN:
        return report_return(report=report, by=by, comment=comment, revision=revision)
    if decision != ReviewDecision.APPROVE:
        raise ValidationError(f"Unknown review decision {decision!r}.")
    with transaction.atomic():
        current = _locked(report, revision, allowed=(ReportStatus.IN_REVIEW,), action="reviewed")
        if current.reviews.filter(round=current.round, reviewer=by, decision=ReviewDecision.APPROVE).exists():
            raise ValidationError("You have already approved this version in this review round.")
        ReportReview.objects.create(
            report=current, round=current.round, reviewer=by, decision=decision, comment=comment.strip()
        )
        return _update(current, by)


def report_return(*, report: Report, by: Any, comment: str, revision: int) -> Report:
    """In review -> returned, with the reason; the author changes what is needed and submits again."""
    access.require(access.is_clinician_for(by, report), "Only the institution's clinicians return reports.")
    comment = comment.strip()
    if not comment:
        raise ValidationError("Say why the report is returned: the comment is what the author acts on.")
    with transaction.atomic():
        current = _locked(report, revision, allowed=(ReportStatus.IN_REVIEW,), action="returned")
        ReportReview.objects.create(
            report=current, round=current.round, reviewer=by, decision=ReviewDecision.RETURN, comment=comment
        )
        return _update(current, by, status=ReportStatus.RETURNED, return_comment=comment)


# ---- signing ----------------------------------------------------------------------------------------------------


def report_sign(*, report: Report, by: Any, password: str, revision: int, one_time_code: str = "") -> Report:
    """In review -> signed. The signer re-enters their password (a signature, not a click), and a one-time code where
    the institution requires one. Signing freezes what the report states and queues the PDF, which renders after
    the commit from the frozen document."""
    access.require(access.is_clinician_for(by, report), "Only the institution's clinicians sign reports.")
    with transaction.atomic():
        current = _locked(report, revision, allowed=(ReportStatus.IN_REVIEW,), action="signed")
        _require_signature(current, by, password, one_time_code)
        _require_second_review(current, by)
        signed = _seal(current, by)
        transaction.on_commit(lambda: _enqueue_render(signed.pk))
    return signed


def _require_signature(report: Report, signer: Any, password: str, one_time_code: str) -> None:
    """A wrong password or code raises FailedSecret, which the view counts towards the login lockout (django-otp's
    own throttling of wrong codes is rolled back with this transaction, so the lockout is what limits guessing)."""
    if not password or not signer.check_password(password):
        raise FailedSecret("The password is not correct: the report was not signed.")
    if report.sample.institution.signers_require_totp:
        otp.require_code(user=signer, token=one_time_code)


def _require_second_review(report: Report, signer: Any) -> None:
    if not report.sample.institution.requires_second_reviewer:
        return
    approved = report.reviews.filter(round=report.round, decision=ReviewDecision.APPROVE).exclude(reviewer=signer)
    if not approved.exists():
        raise ValidationError(
            f"{report.sample.institution.name} requires a second clinician's approval before signing, and this "
            "version has none in its current review round."
        )


def _seal(report: Report, by: Any) -> Report:
    now = timezone.now()
    if report.previous_id is not None:
        # Before this version becomes signed: one signed version per sample is a database constraint.
        superseded = Report.objects.filter(pk=report.previous_id, status=ReportStatus.SIGNED)
        if superseded.update(status=ReportStatus.AMENDED, updated_at=now) != 1:
            raise ValidationError(f"Version {report.version - 1} is no longer the signed version. Reload the page.")
    assessment = report.assessment
    meta = report_meta(report, signed_at=now, signed_by=by)
    context = document_context(sample=report.sample, assessment=assessment, meta=meta, user=None)
    return _update(
        report,
        by,
        status=ReportStatus.SIGNED,
        signed_at=now,
        signed_by=by,
        frozen_result=assessment.result,
        engine_version=assessment.engine_version,
        kb_release=assessment.kb_release,
        input_checksums=input_checksums(assessment),
        rendered_html=render_document_html(context=context, for_pdf=True),
        render_status=RenderStatus.QUEUED,
    )


def report_meta(report: Report, *, signed_at: Any = None, signed_by: Any = None) -> ReportMeta:
    """What the document says about the report itself: version, status, who approved and signed, the amendment."""
    signed_at, signed_by = signed_at or report.signed_at, signed_by or report.signed_by
    status = ReportStatus.SIGNED if signed_by is not None and not report.sealed else report.status
    return ReportMeta(
        version=report.version,
        status=ReportStatus(status).label,
        report_uuid=str(report.uuid),
        created_at=report.created_at,
        signers=_signers(report, signed_at, signed_by),
        amends_version=report.version - 1 if report.previous_id else None,
        amendment_reason=report.amendment_reason,
        lab_name=settings.CRBN_LAB_NAME,
        lab_address=settings.CRBN_LAB_ADDRESS,
    )


def _signers(report: Report, signed_at: Any, signed_by: Any) -> tuple[tuple[str, str, Any], ...]:
    """(name, capacity, when): the approvals of the round that was signed, then the signature. Nobody before
    signing: the document reads "not yet signed" until then."""
    if signed_by is None:
        return ()
    approvals = report.reviews.filter(round=report.round, decision=ReviewDecision.APPROVE).select_related("reviewer")
    people = [(_person(review.reviewer), "Reviewed", review.at) for review in approvals]
    return (*people, (_person(signed_by), "Signed", signed_at))


def input_checksums(assessment: Assessment) -> dict[str, Any]:
    """The sha256 of the facts the engine read and of every file they came from (the sample's and its baseline's
    parsed files that existed when the assessment ran)."""
    samples = [assessment.sample]
    baseline = adapters_db.baseline_sample(assessment.sample)
    if baseline is not None:
        samples.append(baseline)
    cutoff = assessment.started_at or assessment.created_at
    files = [
        {"sample": sample.accession, "file": str(item.uuid), "name": item.original_name, "sha256": item.sha256}
        for sample in samples
        for item in adapters_db.parsed_files(sample).filter(created_at__lte=cutoff).order_by("created_at", "id")
    ]
    return {"facts": assessment.input_checksum, "files": files}


# ---- amendments -------------------------------------------------------------------------------------------------


def report_amend(*, report: Report, by: Any, reason: str) -> Report:
    """A new version (N+1) as a draft pointing to the signed one, stating the sample's latest assessment. The signed
    version stays in force, and becomes "amended", only when the new one is signed."""
    access.require(access.may_amend(by, report), "Only the institution's clinicians amend signed reports.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give the reason for the amendment: it is printed on the new version.")
    current = Report.objects.select_related("sample").get(pk=report.pk)
    if current.status != ReportStatus.SIGNED:
        raise ValidationError(f"Only the signed version can be amended; v{current.version} is {current.status}.")
    if Report.objects.filter(previous=current).exists():
        raise ValidationError(f"v{current.version} is already being amended. Reload the page.")
    assessment = latest_assessment(current.sample) or current.assessment
    return _create(sample=current.sample, assessment=assessment, by=by, previous=current, reason=reason)


# ---- the PDF ----------------------------------------------------------------------------------------------------


def _enqueue_render(report_id: int) -> None:
    from .tasks import render_report_pdf

    render_report_pdf.delay(report_id)


def report_render_again(*, report: Report, by: Any) -> Report:
    """A failed render queued again (failed -> queued); nothing about the signed content changes."""
    access.require(access.is_clinician_for(by, report), "Only the institution's clinicians re-render reports.")
    with transaction.atomic():
        queued = Report.objects.filter(pk=report.pk, render_status=RenderStatus.FAILED).update(
            render_status=RenderStatus.QUEUED, render_error="", render_task_id="", updated_at=timezone.now()
        )
        if queued != 1:
            raise ValidationError("The PDF is not in a failed state; reload the page to see where it is.")
        transaction.on_commit(lambda: _enqueue_render(report.pk))
    return Report.objects.get(pk=report.pk)


def report_render_pdf(*, report_id: int, task_id: str) -> None:
    """Render the signed document to PDF, store it and its sha256. The worker claims the row first (queued, or
    rendering under its own task id after a redelivery), so a redelivered task renders at most once more and writes
    the same file name: one PDF per version, whose digest is set once."""
    if not _claim_render(report_id, task_id):
        return
    from .pdf import html_to_pdf, pdf_sha256, static_roots  # WeasyPrint is heavy: only the render worker loads it

    report = Report.objects.select_related("sample").get(pk=report_id)
    try:
        # The signed HTML carries its stylesheet inline; relative URLs may only reach the static files.
        pdf = html_to_pdf(report.rendered_html, base_url=static_roots()[0].resolve().as_uri() + "/")
        name = store_pdf(report.pdf, report_pdf_name(report), pdf)
    except Exception:
        logger.exception("Rendering the PDF of report %s failed", report_id)
        _render_finished(report_id, task_id, render_status=RenderStatus.FAILED, render_error=RENDER_FAILED)
        return
    _render_finished(
        report_id, task_id, render_status=RenderStatus.READY, pdf=name, pdf_sha256=pdf_sha256(pdf), render_error=""
    )


def _claim_render(report_id: int, task_id: str) -> bool:
    claimable = Q(render_status=RenderStatus.QUEUED) | Q(render_status=RenderStatus.RENDERING, render_task_id=task_id)
    claimed = Report.objects.filter(claimable, pk=report_id, status__in=(ReportStatus.SIGNED, ReportStatus.AMENDED))
    return claimed.update(render_status=RenderStatus.RENDERING, render_task_id=task_id) == 1


def _render_finished(report_id: int, task_id: str, **fields: Any) -> None:
    # Only the claimant may finish, and only before a digest exists: the digest is set once.
    mine = Report.objects.filter(
        pk=report_id, render_status=RenderStatus.RENDERING, render_task_id=task_id, pdf_sha256=""
    )
    if mine.update(rendered_at=timezone.now(), **fields) != 1:
        logger.warning("Report %s: render %s finished after losing its claim; result dropped", report_id, task_id)


# ---- optimistic concurrency -------------------------------------------------------------------------------------


def _locked(report: Report, revision: int, *, allowed: tuple[str, ...], action: str) -> Report:
    """The stored row (locked where the database can), refused when it changed since the user's page was built
    or when it is not in a state the action applies to."""
    current = (
        Report.objects.select_for_update(of=("self",))
        .select_related("sample__institution", "changed_by", "assessment")
        .get(pk=report.pk)
    )
    if current.revision != revision:
        raise ValidationError(stale_message(current))
    if current.status not in allowed:
        raise ValidationError(f"A report that is {current.get_status_display().lower()} cannot be {action}.")
    return current


def _update(report: Report, by: Any, **changes: Any) -> Report:
    updated = Report.objects.filter(pk=report.pk, revision=report.revision).update(
        revision=F("revision") + 1, changed_by=by, updated_at=timezone.now(), **changes
    )
    if updated != 1:  # SQLite has no row locks: the condition is what holds there
        report.refresh_from_db()
        raise ValidationError(stale_message(report))
    report.refresh_from_db()
    return report


def stale_message(report: Report) -> str:
    who = _person(report.changed_by) or "someone"
    when = formats.date_format(timezone.localtime(report.updated_at), "j M Y H:i:s")
    return f"This report was changed by {who} at {when} since you opened it; reload the page to see the change."


def _person(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
