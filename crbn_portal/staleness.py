"""Which long-job rows the sweeper acts on, and how: pure decisions, no Django (crbn_portal/sweep.py applies them).

A row is stale when it has sat "queued" longer than ``queued_after`` (its message never reached a worker) or
"running" longer than ``running_after`` (its worker died and the redelivery was lost too). A stale row is queued
again until it has been queued again ``max_attempts`` times; the next time it is found stale it is given up.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Stage(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"


class Verdict(StrEnum):
    LEAVE = "leave"
    REQUEUE = "requeued"
    FAIL = "failed"


@dataclass(frozen=True)
class Policy:
    queued_after: timedelta
    running_after: timedelta
    max_attempts: int

    def limit(self, stage: Stage) -> timedelta:
        return self.queued_after if stage is Stage.QUEUED else self.running_after


def verdict(*, stage: Stage, since: datetime, now: datetime, requeued: int, policy: Policy) -> Verdict:
    """``since``: when the row entered its stage; ``requeued``: how often the sweeper has queued it again."""
    if now - since < policy.limit(stage):
        return Verdict.LEAVE
    return Verdict.FAIL if requeued >= policy.max_attempts else Verdict.REQUEUE
