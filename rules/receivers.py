"""What the rules app does when a lower layer reports an event (connected in RulesConfig.ready)."""

import uuid
from collections import Counter
from typing import Any

from .models import Assessment, CallChange, JobStatus, ReassessmentRun, Trigger


def assess_after_ingest(sender: Any, sample: Any, parse_run: Any, **kwargs: Any) -> None:
    """A parse changed what is known about the sample, so its verdict per drug must be computed again."""
    from .services import assessment_queue

    assessment_queue(sample=sample, trigger=Trigger.INGEST, by=parse_run.created_by)


def assess_demo_cohort(sender: Any, stdout: Any = None, **kwargs: Any) -> None:
    """Run, in this process, the assessments the demo files' ingest queued: no worker runs while seed_demo does,
    and a demo should open with its verdicts already there. Connected after the variants app's demo receiver
    (apps are ready in INSTALLED_APPS order), so the files are parsed by then."""
    from .services import assessment_execute

    queued = Assessment.objects.filter(status=JobStatus.QUEUED).order_by("pk").values_list("pk", flat=True)
    for assessment_id in list(queued):
        assessment_execute(assessment_id=assessment_id, task_id=f"demo-{uuid.uuid4()}")
    if stdout is not None:
        stdout.write(f"Demo assessments: {_call_counts()}")


def clear_demo_assessments(sender: Any, **kwargs: Any) -> None:
    """Before seed_demo --force deletes the samples: the rows that PROTECT them go first."""
    CallChange.objects.all().delete()
    Assessment.objects.all().delete()
    ReassessmentRun.objects.all().delete()


def _call_counts() -> str:
    counts: Counter[str] = Counter()
    for result in Assessment.objects.filter(status=JobStatus.DONE).values_list("result", flat=True):
        counts.update(finding["call"] for finding in result.get("drugs", {}).values())
    return ", ".join(f"{call} {count}" for call, count in sorted(counts.items())) or "none"
