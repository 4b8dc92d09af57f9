"""Writes of the rules app: knowledge-base releases (load a draft, activate it), assessments (queue, run) and the
re-assessment an activation starts. Views, tasks and the ingest receiver all come through here."""

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from patients.models import Sample

from . import adapters_db
from .diff import DiffEntry, diff_knowledge_bases
from .engine import AssessmentInput, KnowledgeBase, KnowledgeBaseError, assess, load_kb_texts
from .engine.kb import KB_DIR, KB_FILES
from .models import (
    Assessment,
    CallChange,
    JobStatus,
    KnowledgeBaseRelease,
    ReassessmentRun,
    ReleaseStatus,
    Trigger,
)
from .signals import reassessment_finished

logger = logging.getLogger(__name__)

REASSESS_CHUNK = 100  # samples read, assessed and committed together by a re-assessment
FAILED_FIELDS = ["status", "error", "finished_at", "updated_at"]


# ---- releases ---------------------------------------------------------------------------------------------------


def bundled_texts() -> dict[str, str]:
    """The knowledge-base files shipped in rules/kb/, as text."""
    return {name: (KB_DIR / name).read_text(encoding="utf-8") for name in KB_FILES}


def validated(texts: Mapping[str, str]) -> KnowledgeBase:
    """The snapshot, or a ValidationError naming the file and key path the loader objected to."""
    try:
        return load_kb_texts(texts)
    except KnowledgeBaseError as error:
        raise ValidationError(str(error)) from error


@lru_cache(maxsize=16)
def _snapshot(release_pk: int, sha256: str) -> KnowledgeBase:
    # Keyed by digest as well as id: a draft's files may change, and its digest changes with them.
    return load_kb_texts(KnowledgeBaseRelease.objects.values_list("files", flat=True).get(pk=release_pk))


def knowledge_base(release: KnowledgeBaseRelease) -> KnowledgeBase:
    """The engine's snapshot of a stored release (parsed once per process and digest)."""
    return _snapshot(release.pk, release.sha256)


def bundled_knowledge_base() -> KnowledgeBase:
    """The snapshot of the files shipped in rules/kb/, parsed once per process and content (parsing the YAML is
    most of a report page's cost otherwise)."""
    return _bundled_snapshot(tuple(sorted(bundled_texts().items())))


@lru_cache(maxsize=4)
def _bundled_snapshot(texts: tuple[tuple[str, str], ...]) -> KnowledgeBase:
    return validated(dict(texts))


def release_load_draft(*, by: Any, texts: Mapping[str, str] | None = None) -> KnowledgeBaseRelease:
    """Validate the files (default: the bundled ones) and store them as a draft. A draft with the same release id
    is replaced; an id an active or retired release already holds is refused, since released content never
    changes: the curator gives the new draft its own id in release.yaml."""
    files = dict(texts if texts is not None else bundled_texts())
    kb = validated(files)
    with transaction.atomic():
        release = KnowledgeBaseRelease.objects.select_for_update().filter(release_id=kb.release).first()
        if release is not None and release.status != ReleaseStatus.DRAFT:
            raise ValidationError(
                f"release.yaml: release: {kb.release!r} is already {release.get_status_display().lower()}; "
                "give the draft a new release id."
            )
        release = release or KnowledgeBaseRelease(release_id=kb.release, created_by=by)
        release.release_date, release.summary = kb.date, kb.summary
        release.files, release.sha256, release.loaded_by = files, kb.sha256, by
        release.save()
    return release


def release_diff(draft: KnowledgeBaseRelease, active: KnowledgeBaseRelease | None) -> tuple[DiffEntry, ...]:
    """What activating ``draft`` would change against ``active`` (everything is new when none is active)."""
    return diff_knowledge_bases(knowledge_base(active) if active else None, knowledge_base(draft))


def release_activate(*, release: KnowledgeBaseRelease, by: Any) -> ReassessmentRun:
    """Retire the active release, activate the draft and start re-assessing every sample, all or nothing.

    The re-assessment is enqueued only after the commit, so the worker sees the new active release."""
    try:
        with transaction.atomic():
            run = _activate(release, by)
            transaction.on_commit(lambda: _enqueue_reassessment(run.pk))
    except IntegrityError as error:
        # Two curators activating at once: the one-active constraint lets exactly one of them through.
        raise ValidationError("Another release was activated at the same time. Reload the page.") from error
    return run


def _activate(release: KnowledgeBaseRelease, by: Any) -> ReassessmentRun:
    draft = KnowledgeBaseRelease.objects.select_for_update().get(pk=release.pk)
    if draft.status != ReleaseStatus.DRAFT:
        raise ValidationError(
            f"{draft.release_id} is {draft.get_status_display().lower()}: only a draft can be activated."
        )
    validated(draft.files)  # the loader may have grown stricter since the draft was loaded
    now = timezone.now()
    for current in KnowledgeBaseRelease.objects.select_for_update().filter(status=ReleaseStatus.ACTIVE):
        current.status, current.retired_at = ReleaseStatus.RETIRED, now
        current.save(update_fields=["status", "retired_at", "updated_at"])
    draft.status, draft.activated_at, draft.activated_by = ReleaseStatus.ACTIVE, now, by
    draft.save(update_fields=["status", "activated_at", "activated_by", "updated_at"])
    return ReassessmentRun.objects.create(release=draft, created_by=by)


def _enqueue_reassessment(run_id: int) -> None:
    from .tasks import reassess_release

    reassess_release.delay(run_id)


# ---- assessments ------------------------------------------------------------------------------------------------


def assessment_queue(*, sample: Sample, trigger: str, by: Any = None) -> Assessment:
    """Queue an assessment of the sample. After an ingest, one still waiting is returned instead of a second: it
    reads the sample's rows when it runs, so it sees every file parsed meanwhile. A person's request always gets
    its own row, so a waiting row whose message was lost can never swallow it."""
    with transaction.atomic():
        waiting = Assessment.objects.filter(sample=sample, status=JobStatus.QUEUED, reassessment=None).first()
        if waiting is not None and trigger == Trigger.INGEST:
            return waiting
        assessment = Assessment.objects.create(sample=sample, trigger=trigger, created_by=by)
        transaction.on_commit(lambda: _enqueue_assessment(assessment.pk))
    return assessment


def _enqueue_assessment(assessment_id: int) -> None:
    from .tasks import assess_sample

    assess_sample.delay(assessment_id)


def assessment_execute(*, assessment_id: int, task_id: str) -> None:
    """Claim a queued assessment and run it. A redelivered task (same id) may take over its own row; any other
    claim on a running or finished row is a no-op."""
    if not _claim(Assessment, assessment_id, task_id):
        return
    assessment = Assessment.objects.select_related("sample__patient").get(pk=assessment_id)
    _evaluate(assessment, active_release())


def assessment_run(
    *, sample: Sample, trigger: str, by: Any = None, reassessment: ReassessmentRun | None = None
) -> Assessment:
    """Assess now, in the caller's process (the re-assessment job, which compares the calls straight away).
    With a re-assessment run, its release is used; otherwise the active one, or the bundled files if none."""
    assessment = Assessment.objects.create(
        sample=sample,
        trigger=trigger,
        created_by=by,
        reassessment=reassessment,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
    )
    return _evaluate(assessment, reassessment.release if reassessment else active_release())


def active_release() -> KnowledgeBaseRelease | None:
    return KnowledgeBaseRelease.objects.filter(status=ReleaseStatus.ACTIVE).first()


def input_checksum(data: AssessmentInput) -> str:
    """sha256 of the input facts as canonical JSON (sorted keys, ISO dates): equal inputs, equal checksums."""
    text = json.dumps(data, sort_keys=True, default=_json_value, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _json_value(value: object) -> object:
    """The JSON of dataclasses.asdict, without its deep copy of every value (a tenth of a re-assessment's time):
    a dataclass becomes a dict when the encoder meets it; anything else JSON lacks (a date) becomes its str()."""
    if is_dataclass(value) and not isinstance(value, type):
        return {item.name: getattr(value, item.name) for item in fields(value)}
    return str(value)


def _evaluate(assessment: Assessment, release: KnowledgeBaseRelease | None) -> Assessment:
    """Run the engine on the sample's stored facts and store the outcome on the row."""
    _outcome(assessment, release, lambda: adapters_db.assessment_input(assessment.sample))
    # A failure writes only its own fields, as a claim may have changed the others meanwhile.
    assessment.save(update_fields=FAILED_FIELDS if assessment.status == JobStatus.FAILED else None)
    return assessment


def _outcome(
    assessment: Assessment,
    release: KnowledgeBaseRelease | None,
    facts: Callable[[], tuple[AssessmentInput, tuple[str, ...]]],
) -> Assessment:
    """Put the engine's outcome on the row, unsaved; a failure is put there as the row's error, never raised,
    so one bad sample cannot stop an ingest or a re-assessment of every sample."""
    try:
        kb = knowledge_base(release) if release else bundled_knowledge_base()
        data, warnings = facts()
        outcome = assess(data, kb)
    except (ValueError, ValidationError) as error:  # a fact that breaks its invariant, an unloadable release
        return _failed(assessment, f"The assessment could not be made: {_message(error)}")
    except Exception:
        logger.exception("Assessment of sample %s failed unexpectedly", assessment.sample_id)
        return _failed(assessment, "An internal error stopped the assessment; the sample's data are unchanged.")
    assessment.release, assessment.bundled = release, release is None
    assessment.kb_release, assessment.kb_sha256, assessment.engine_version = (
        kb.release,
        kb.sha256,
        outcome.engine_version,
    )
    assessment.result = outcome.to_dict()
    assessment.calls = {item.drug: item.call.value for item in outcome.drugs}
    assessment.qc_status, assessment.input_checksum = outcome.qc.status.value, input_checksum(data)
    assessment.warnings = list(warnings)
    assessment.status, assessment.finished_at = JobStatus.DONE, timezone.now()
    return assessment


def _message(error: Exception) -> str:
    return "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)


def _failed(assessment: Assessment, message: str) -> Assessment:
    assessment.status, assessment.error, assessment.finished_at = JobStatus.FAILED, message, timezone.now()
    return assessment


def _claim(model: type[Assessment] | type[ReassessmentRun], pk: int, task_id: str) -> bool:
    claimable = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, task_id=task_id)
    updated = model.objects.filter(claimable, pk=pk).update(
        status=JobStatus.RUNNING, task_id=task_id, started_at=timezone.now()
    )
    return updated == 1


# ---- re-assessment after an activation --------------------------------------------------------------------------


def reassess_all(*, run_id: int, task_id: str) -> None:
    """Assess every sample with stored facts against the run's release, in chunks, recording each drug whose
    call changed against the sample's previous assessment. A redelivered run resumes where it stopped: samples
    this run already assessed are skipped (one assessment per sample per run is a constraint)."""
    if not _claim(ReassessmentRun, run_id, task_id):
        return
    run = ReassessmentRun.objects.select_related("release", "created_by").get(pk=run_id)
    try:
        _reassess_pending(run)
    except Exception:
        logger.exception("Re-assessment %s failed", run_id)
        ReassessmentRun.objects.filter(pk=run_id).update(
            status=JobStatus.FAILED, error="An internal error stopped the re-assessment.", finished_at=timezone.now()
        )
        return
    ReassessmentRun.objects.filter(pk=run_id).update(status=JobStatus.DONE, finished_at=timezone.now())
    reassessment_finished.send(sender=ReassessmentRun, run=run)


def _reassess_pending(run: ReassessmentRun) -> None:
    sample_ids = adapters_db.samples_with_facts()
    finished = set(run.assessments.values_list("sample_id", flat=True))
    pending = [pk for pk in sample_ids if pk not in finished]
    ReassessmentRun.objects.filter(pk=run.pk).update(total=len(sample_ids), done=len(sample_ids) - len(pending))
    for start in range(0, len(pending), REASSESS_CHUNK):
        _reassess_chunk(run, pending[start : start + REASSESS_CHUNK])


def _reassess_chunk(run: ReassessmentRun, sample_ids: list[int]) -> None:
    """Read the chunk's stored facts at once, assess each sample, then store the assessments, their call changes
    and the progress in one transaction: a worker killed before the commit leaves the whole chunk to the resumed
    run, never an assessment whose changes are missing. One commit per chunk, not per sample."""
    samples = list(Sample.objects.filter(pk__in=sample_ids).order_by("pk"))
    previous = _previous_assessments(run, sample_ids)
    facts = adapters_db.stored_facts(samples)
    assessments = [_reassessed(run, sample, facts) for sample in samples]
    with transaction.atomic():
        Assessment.objects.bulk_create(assessments)
        CallChange.objects.bulk_create(
            change
            for current in assessments
            if current.status == JobStatus.DONE and current.sample_id in previous
            for change in _changes(run, previous[current.sample_id], current)
        )
        ReassessmentRun.objects.filter(pk=run.pk).update(done=F("done") + len(sample_ids))


def _reassessed(run: ReassessmentRun, sample: Sample, facts: adapters_db.StoredFacts) -> Assessment:
    """The sample's new assessment against the run's release, unsaved."""
    assessment = Assessment(
        sample=sample,
        trigger=Trigger.ACTIVATION,
        created_by=run.created_by,
        reassessment=run,
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
    )
    return _outcome(assessment, run.release, lambda: facts.assessment_input(sample))


def _previous_assessments(run: ReassessmentRun, sample_ids: list[int]) -> dict[int, Assessment]:
    """Each sample's latest assessment made under an earlier release (or the bundled files), with its calls:
    an ingest or a request after the activation already uses the new release and would hide the change."""
    earlier = Assessment.objects.done().exclude(release=run.release).filter(sample=OuterRef("pk")).newest_first()
    latest = Sample.objects.filter(pk__in=sample_ids).annotate(previous=Subquery(earlier.values("pk")[:1]))
    chosen = Assessment.objects.filter(pk__in=latest.values("previous")).only("pk", "sample_id", "calls")
    return {item.sample_id: item for item in chosen}


def _changes(run: ReassessmentRun, previous: Assessment, current: Assessment) -> list[CallChange]:
    drugs = current.result["drugs"] if current.result else {}
    return [
        CallChange(
            run=run,
            sample=current.sample,
            previous=previous,
            assessment=current,
            drug=drug,
            old_call=previous.calls.get(drug, ""),
            new_call=call,
            entry=", ".join(drugs.get(drug, {}).get("entries", []))[:200],
        )
        for drug, call in current.calls.items()
        if previous.calls.get(drug, "") != call
    ]
