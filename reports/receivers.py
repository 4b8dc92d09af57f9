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
from datetime import date, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.management.base import CommandError
from django.utils import timezone

from crbn_portal.roles import Role
from patients import demo as patients_demo
from patients.drugs import CRBN_DEPENDENT_CLASSES
from patients.models import Drug, Institution, Membership, Sample, TreatmentLine
from rules.models import Assessment, CallChange

from . import board_services, services
from .board_models import AgendaItem, Decision, Meeting, PacketExport
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
    # The tumour boards first: their agendas PROTECT the reports, samples and patients.
    Decision.objects.all().delete()
    PacketExport.objects.all().delete()
    Meeting.objects.all().delete()
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


# ---- the tumour board -----------------------------------------------------------------------------------------------

# The past meeting sits before the demo's data cut-off, so the lines started after it can be linked to its decisions.
PAST_BOARD_DATE = patients_demo.DATA_CUTOFF - timedelta(days=150)
BOARD_ATTENDEE_ROLES = (Role.CLINICIAN, Role.COORDINATOR, Role.LAB_SCIENTIST)
BOARD_PATIENTS = 3  # per meeting: enough to show the packet and reordering; a packet page costs about a second
BOARD_QUESTIONS = (
    "Next line at first relapse: which regimen, given the CRBN verdicts and the lenalidomide exposure?",
    "Is a pomalidomide-based triplet reasonable here, or is a CRBN-independent regimen preferred?",
    "Is the patient a candidate for a clinical trial?",
    "Confirm the plan in the light of the relapse report.",
)
# When no line followed the meeting in the demo's data: a CRBN-independent regimen (DESIGN: the demo's words are
# neutral; the rationale points to the report rather than restating clinical claims).
FALLBACK_REGIMEN = ("Kd", ("carfilzomib", "dexamethasone"))
DECISION_RATIONALE = (
    "Discussed with the relapse report's CRBN verdicts and the treatment history, including refractoriness."
)


def write_demo_boards(sender: Any, *, seed: int, stdout: IO[str] | None = None, **kwargs: Any) -> None:
    """At the first demo site: a past meeting with its decisions recorded (each linked to the line that followed,
    where the data has one) and its packet rendered here; and an upcoming meeting with an agenda. The upcoming one
    is dated from the day of seeding, the one date not fixed by the seed, so that it is upcoming when the demo opens."""
    code = patients_demo.SITES[0].code
    coordinator, clinician = (_demo_member(code, role) for role in (Role.COORDINATOR, Role.CLINICIAN))
    past_samples, upcoming_samples = _board_samples(random.Random(f"reports.demo.board/{seed}"), code)
    past = _demo_meeting(coordinator, "Myeloma tumour board", PAST_BOARD_DATE, past_samples)
    for item in past.items.select_related("patient"):
        _demo_decision(item, clinician)
    packet = _demo_packet(past, coordinator, seed) if past_samples else "none: no patient to discuss"
    upcoming_date = timezone.localdate() + timedelta(days=7)
    upcoming = _demo_meeting(coordinator, "Myeloma tumour board", upcoming_date, upcoming_samples)
    if stdout is not None:
        stdout.write(
            f"Demo tumour boards at {code}: {past.date:%d %b %Y} ({len(past_samples)} decisions, packet {packet}), "
            f"{upcoming.date:%d %b %Y} ({len(upcoming_samples)} patients on the agenda).\n"
        )


def _demo_packet(meeting: Meeting, coordinator: AbstractBaseUser, seed: int) -> str:
    """Exported and rendered here, as the worker would (none runs while seeding); its status, in words."""
    export = board_services.packet_export(meeting=meeting, by=coordinator)
    with _quiet_weasyprint():
        board_services.packet_render(export_id=export.pk, task_id=f"demo-board-{seed}")
    return PacketExport.objects.get(pk=export.pk).get_status_display().lower()


def _board_samples(rng: random.Random, code: str) -> tuple[list[Sample], list[Sample]]:
    """Assessed first-relapse samples, one per patient, in the seed's order: for the past meeting those collected
    before it, patients who started a line after it first; for the upcoming meeting, others."""
    candidates = _one_per_patient(_pick_samples(rng, code, len(_latest_assessments(code))))
    followed = set(
        TreatmentLine.objects.filter(patient__institution__code=code, start_date__gte=PAST_BOARD_DATE).values_list(
            "patient_id", flat=True
        )
    )
    before = sorted(
        (sample for sample in candidates if sample.collection_date < PAST_BOARD_DATE),
        key=lambda sample: sample.patient_id not in followed,
    )[:BOARD_PATIENTS]
    return before, [sample for sample in candidates if sample not in before][:BOARD_PATIENTS]


def _one_per_patient(samples: list[Sample]) -> list[Sample]:
    """The first of each patient's samples: a patient is on an agenda once."""
    first: dict[int, Sample] = {}
    for sample in samples:
        first.setdefault(sample.patient_id, sample)
    return list(first.values())


def _demo_member(code: str, role: str) -> AbstractBaseUser:
    usernames = [login.username for login in patients_demo.demo_logins()]
    member = Membership.objects.filter(institution__code=code, role=role, user__username__in=usernames).first()
    if member is None:
        raise DemoReportError(f"no demo {role} at {code}")
    return member.user


def _demo_meeting(coordinator: AbstractBaseUser, title: str, when: date, samples: list[Sample]) -> Meeting:
    institution = samples[0].institution if samples else Institution.objects.get(code=patients_demo.SITES[0].code)
    members = Membership.objects.filter(institution=institution, role__in=BOARD_ATTENDEE_ROLES).select_related("user")
    attendees = "\n".join(f"{item.user.get_full_name()} ({item.get_role_display()})" for item in members)
    meeting = board_services.meeting_create(
        institution=institution, date=when, title=title, attendees=attendees, by=coordinator
    )
    for index, sample in enumerate(samples):
        question = BOARD_QUESTIONS[index % len(BOARD_QUESTIONS)]
        board_services.agenda_add(meeting=meeting, patient=sample.patient, question=question, by=coordinator)
    return meeting


def _demo_decision(item: AgendaItem, clinician: AbstractBaseUser) -> None:
    """The regimen the patient went on to receive, where the data has a line after the meeting; drugs to avoid:
    the CRBN-dependent drugs the patient is refractory to (IMWG), a fact of the history, not a reading of the
    CRBN verdicts."""
    line = (
        TreatmentLine.objects.filter(patient=item.patient, start_date__gte=item.meeting.date)
        .order_by("start_date")
        .first()
    )
    regimen, drugs = (line.regimen, [drug.name for drug in line.drugs.all()]) if line else FALLBACK_REGIMEN
    refractory = Drug.objects.filter(name__in=item.patient.refractory_drugs, drug_class__in=CRBN_DEPENDENT_CLASSES)
    decision = board_services.decision_record(
        item=item,
        by=clinician,
        regimen=regimen,
        recommended_drugs=Drug.objects.filter(name__in=drugs),
        drugs_to_avoid=refractory.exclude(name__in=drugs),
        rationale=DECISION_RATIONALE,
        evidence="Relapse report and treatment history as in the packet.",
        follow_up_date=item.meeting.date + timedelta(days=84),
    )
    if line is not None:
        board_services.decision_link_line(decision=decision, line=line, by=clinician)
