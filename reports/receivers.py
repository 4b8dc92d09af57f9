"""What the reports app does when seed_demo fills or clears the demo cohort (connected in ReportsConfig.ready).

The demo reports are made as people make them: through reports.services, by the demo accounts, each signature
with the demo password re-entered. At each institution the lab scientist drafts and submits, the clinician
returns, signs and amends, so a demo opens with a report in every state of the workflow. Neither institution
requires a second reviewer: the demo has one clinician per institution, and the signer's own approval does not
count, so a second approval could only come from the superuser, who is no clinician.

Signed reports are records (a database trigger refuses to delete them), so ``seed_demo --force`` cannot clear a
database that holds any: it stops with an error that says to start from a fresh database.
"""

import logging
import random
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import CommandError

from crbn_portal.roles import Role
from patients import demo as patients_demo
from patients.models import Membership, Sample
from rules.models import Assessment, CallChange

from . import services
from .models import SEALED_STATUSES, RenderStatus, Report, ReportReview, ReportStatus

RETURN_COMMENT = (
    "Please compare with the baseline sample before this goes out: the copy-number call is what the verdict rests on."
)
AMENDMENT_REASON = "Reissued at the tumour board's request after review of the copy-number evidence."
# The states each institution gets, most wanted first: when a small cohort has few assessed first-relapse samples,
# the signed reports (with their PDFs) are the ones kept.
DEMO_STATES = ("signed", "amended", "returned", "in_review", "draft")
# Lenalidomide verdicts worth reading in a demo report (not "not assessable").
INFORMATIVE = frozenset({"resistance_likely", "resistance_possible", "uncertain", "no_alteration_detected"})


class DemoReportError(RuntimeError):
    """The demo accounts the reports need are missing: a bug in patients/demo.py, never the seed's fault."""


def write_demo_reports(sender: Any, *, seed: int, stdout: IO[str] | None = None, **kwargs: Any) -> None:
    """After the files are parsed and assessed (receivers connected earlier): reports in each workflow state on
    assessed first-relapse samples picked by the seed, the signed ones rendered to PDF in this process."""
    rng = random.Random(f"reports.demo/{seed}")
    made: dict[str, list[str]] = {}
    rendered = 0
    for code, (author, clinician) in _demo_staff().items():
        samples = _pick_samples(rng, code, len(DEMO_STATES))
        for state, sample in zip(DEMO_STATES, samples, strict=False):
            versions = BUILDERS[state](sample, author, clinician)
            # A PDF takes about a second, so only the version in force is rendered now (4 in all). A superseded
            # v1 stays queued: signing enqueued its render, which the worker `make run` starts picks up.
            rendered += _render(rng, versions[-1])
            made.setdefault(code, []).append(state.replace("_", " "))
    if stdout is not None:
        sites = "; ".join(f"{code} {', '.join(states)}" for code, states in made.items()) or "none"
        queued = Report.objects.filter(render_status=RenderStatus.QUEUED).count()
        stdout.write(f"Demo reports: {sites}; {rendered} PDFs rendered, {queued} left to the render worker.\n")


def clear_demo_reports(sender: Any, **kwargs: Any) -> None:
    """Before seed_demo --force deletes the assessments and samples the reports PROTECT. Unsigned reports are
    working copies and go; signed ones are kept by the database itself, so the reseed stops instead."""
    signed = Report.objects.filter(status__in=SEALED_STATUSES).count()
    if signed:
        raise CommandError(
            f"--force cannot replace this database: it holds {signed} signed report versions, and signed reports "
            f"are never deleted (the database itself refuses it). Start from a fresh database: {_fresh_start()}, "
            "then run `manage.py migrate` and `manage.py seed_demo`."
        )
    ReportReview.objects.all().delete()
    # Only signed versions are ever amended, so no unsigned report points to another: one delete does it.
    Report.objects.all().delete()


def _fresh_start() -> str:
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"delete {database['NAME']} and the files under {settings.MEDIA_ROOT}"
    return f"drop and recreate the database {database['NAME']} and delete the files under {settings.MEDIA_ROOT}"


# ---- the people and the samples ---------------------------------------------------------------------------------


def _demo_staff() -> dict[str, tuple[AbstractBaseUser, AbstractBaseUser]]:
    """Institution code -> (its demo lab scientist, its demo clinician), in the demo's site order."""
    usernames = [login.username for login in patients_demo.demo_logins()]
    memberships = Membership.objects.filter(
        role__in=(Role.LAB_SCIENTIST, Role.CLINICIAN), user__username__in=usernames
    ).select_related("user", "institution")
    found = {(item.institution.code, item.role): item.user for item in memberships}
    staff = {}
    for site in patients_demo.SITES:
        try:
            staff[site.code] = (found[(site.code, Role.LAB_SCIENTIST)], found[(site.code, Role.CLINICIAN)])
        except KeyError as missing:
            raise DemoReportError(f"no demo lab scientist or clinician at {site.code}") from missing
    return staff


def _pick_samples(rng: random.Random, code: str, count: int) -> list[Sample]:
    """Assessed first-relapse samples of the institution, in a seed-determined order; those whose lenalidomide
    verdict says something come first, so the signed demo reports are worth reading."""
    latest = _latest_assessments(code)
    samples = sorted(latest, key=lambda sample: sample.accession)
    rng.shuffle(samples)
    samples.sort(key=lambda sample: latest[sample].calls.get("lenalidomide") not in INFORMATIVE)
    return samples[:count]


def _latest_assessments(code: str) -> dict[Sample, Assessment]:
    done = (
        Assessment.objects.done()
        .filter(sample__institution__code=code, sample__timepoint=Sample.Timepoint.FIRST_RELAPSE)
        .select_related("sample__institution")
        .order_by("sample_id", "-created_at", "-id")
    )
    latest: dict[Sample, Assessment] = {}
    for assessment in done:
        latest.setdefault(assessment.sample, assessment)
    return latest


# ---- one builder per state: the steps people take, through the services --------------------------------------------

Builder = Callable[[Sample, AbstractBaseUser, AbstractBaseUser], list[Report]]


def _draft(sample: Sample, author: AbstractBaseUser, clinician: AbstractBaseUser) -> list[Report]:
    return [services.report_create_draft(sample=sample, by=author)]


def _in_review(sample: Sample, author: AbstractBaseUser, clinician: AbstractBaseUser) -> list[Report]:
    (report,) = _draft(sample, author, clinician)
    return [services.report_submit(report=report, by=author, revision=report.revision)]


def _returned(sample: Sample, author: AbstractBaseUser, clinician: AbstractBaseUser) -> list[Report]:
    (report,) = _in_review(sample, author, clinician)
    return [services.report_return(report=report, by=clinician, comment=RETURN_COMMENT, revision=report.revision)]


def _signed(sample: Sample, author: AbstractBaseUser, clinician: AbstractBaseUser) -> list[Report]:
    (report,) = _in_review(sample, author, clinician)
    return [_sign(report, clinician)]


def _amended(sample: Sample, author: AbstractBaseUser, clinician: AbstractBaseUser) -> list[Report]:
    (first,) = _signed(sample, author, clinician)
    second = services.report_amend(report=first, by=clinician, reason=AMENDMENT_REASON)
    second = services.report_submit(report=second, by=clinician, revision=second.revision)
    return [first, _sign(second, clinician)]


def _sign(report: Report, clinician: AbstractBaseUser) -> Report:
    # The real check: the demo clinician's stored password hash against the published demo password.
    return services.report_sign(
        report=report, by=clinician, password=patients_demo.DEMO_PASSWORD, revision=report.revision
    )


BUILDERS: dict[str, Builder] = {
    "draft": _draft,
    "in_review": _in_review,
    "returned": _returned,
    "signed": _signed,
    "amended": _amended,
}


# ---- the PDFs -------------------------------------------------------------------------------------------------------


def _render(rng: random.Random, report: Report) -> bool:
    """Render a signed version now, as the worker would (no worker runs while seeding). The task that signing
    enqueued after the commit then finds the PDF ready and does nothing."""
    if report.status not in SEALED_STATUSES:
        return False
    task_id = f"demo-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    with _quiet_weasyprint():
        services.report_render_pdf(report_id=report.pk, task_id=task_id)
    return Report.objects.filter(pk=report.pk, render_status=RenderStatus.READY).exists()


@contextmanager
def _quiet_weasyprint() -> Iterator[None]:
    # WeasyPrint logs each layout step at INFO, which would bury seed_demo's own summary; warnings still show.
    progress = logging.getLogger("weasyprint.progress")
    level = progress.level
    progress.setLevel(logging.WARNING)
    try:
        yield
    finally:
        progress.setLevel(level)


def flag_signed_reports(sender: Any, run: Any, **kwargs: Any) -> None:
    """A re-assessment changed calls: mark each change whose sample has a signed report (never rewritten; its
    signer amends it), and the others as checked."""
    changes = CallChange.objects.filter(run=run)
    signed = Report.objects.filter(status=ReportStatus.SIGNED).values("sample_id")
    changes.filter(sample_id__in=signed).update(affects_signed_report=True)
    changes.filter(affects_signed_report__isnull=True).update(affects_signed_report=False)
