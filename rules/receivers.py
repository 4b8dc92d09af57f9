"""What the rules app does when a lower layer reports an event (connected in RulesConfig.ready)."""

from typing import Any

from .models import Trigger


def assess_after_ingest(sender: Any, sample: Any, parse_run: Any, **kwargs: Any) -> None:
    """A parse changed what is known about the sample, so its verdict per drug must be computed again."""
    from .services import assessment_queue

    assessment_queue(sample=sample, trigger=Trigger.INGEST, by=parse_run.created_by)
