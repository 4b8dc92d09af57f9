"""Where a worklist row stands, in the words the clinician acts on (chase the lab, wait, or send a sample)."""

from django.db import models


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
