"""Where a worklist row stands, in the words the clinician acts on (chase the lab, wait, send a sample, or get the
result reported)."""

from django.db import models

from .models import ReportStatus


class WorklistStatus(models.TextChoices):
    """Why a row has no CRBN result yet. Computed by the worklist selectors, never stored."""

    NO_FILES = "no_files", "No files uploaded"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Files awaiting confirmation"
    PARSING = "parsing", "Parsing"
    PARSE_FAILED = "parse_failed", "Parse failed"
    ASSESSMENT_QUEUED = "assessment_queued", "Assessment queued"
    ASSESSMENT_RUNNING = "assessment_running", "Assessment running"
    ASSESSMENT_FAILED = "assessment_failed", "Assessment failed"
    NOT_ASSESSED = "not_assessed", "Parsed, not assessed"
    NO_SAMPLE = "no_sample", "No first-relapse sample"


# What the status asks of the people behind the worklist; shown under the status.
NEXT_STEPS = {
    WorklistStatus.NO_FILES: "Chase the lab: no result files have been uploaded.",
    WorklistStatus.AWAITING_CONFIRMATION: "The lab has uploaded files but not yet confirmed them for parsing.",
    WorklistStatus.PARSING: "Files are being read; the assessment follows.",
    WorklistStatus.PARSE_FAILED: "Chase the lab: a file could not be read.",
    WorklistStatus.ASSESSMENT_QUEUED: "Files are read; the assessment is waiting for a worker.",
    WorklistStatus.ASSESSMENT_RUNNING: "The assessment is running.",
    WorklistStatus.ASSESSMENT_FAILED: "Request the assessment again from the sample's assessment page.",
    WorklistStatus.NOT_ASSESSED: "Request an assessment from the sample's assessment page.",
    WorklistStatus.NO_SAMPLE: "Send a first-relapse sample for CRBN testing and register it.",
}

# The status filter's choices, grouped by the section that can show them.
UNTESTED_STATUSES = tuple(status for status in WorklistStatus if status != WorklistStatus.NO_SAMPLE)
UNSAMPLED_STATUSES = (WorklistStatus.NO_SAMPLE,)


class ReviewStatus(models.TextChoices):
    """Where a relapse sample's result stands on its way to a signed report. Computed by the worklist selectors,
    never stored; the values differ from ``WorklistStatus``'s, so one status filter serves every section."""

    AWAITING_REPORT = "awaiting_report", "Result awaiting a report"
    DRAFT = "report_draft", "Report in draft"
    IN_REVIEW = "report_in_review", "Report in review"
    RETURNED = "report_returned", "Report returned"


# The open report statuses, as the review section names them.
REVIEW_STATUS_OF_REPORT = {
    ReportStatus.DRAFT: ReviewStatus.DRAFT,
    ReportStatus.IN_REVIEW: ReviewStatus.IN_REVIEW,
    ReportStatus.RETURNED: ReviewStatus.RETURNED,
}

REVIEW_NEXT_STEPS = {
    ReviewStatus.AWAITING_REPORT: "Draft the report from the sample's reports page.",
    ReviewStatus.DRAFT: "The author submits it for review.",
    ReviewStatus.IN_REVIEW: "A clinician of the institution reviews it, then signs it or returns it.",
    ReviewStatus.RETURNED: "The author acts on the reviewer's comment and submits it again.",
}
