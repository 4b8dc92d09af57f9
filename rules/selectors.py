"""Reads for the knowledge-base pages and the sample assessment page.

Knowledge-base releases are global, not institution data: every role that works on patients may read them
(researchers read the de-identified registry only); curators and superusers may load and activate. Anything
derived from a patient (samples, assessments, changed calls) is reached through ``visible_to(user)``.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from crbn_portal.permissions import has_role_in
from crbn_portal.roles import PATIENT_DATA_ROLES, Role
from patients.models import Sample

from .diff import SECTIONS
from .engine import KnowledgeBase
from .engine.kb import CallEntry
from .models import Assessment, CallChange, JobStatus, KnowledgeBaseRelease, ReassessmentRun, ReleaseStatus
from .services import active_release, bundled_knowledge_base, knowledge_base, release_diff

# Who may ask for a sample to be assessed again (at the sample's own institution).
REASSESS_ROLES = frozenset({Role.CLINICIAN, Role.LAB_SCIENTIST})
# calls.yaml's "other" block: protein-altering variants outside every class, of unknown significance.
OTHER_ROW = (
    "other",
    "Other protein-altering variant",
    "Outside every class, e.g. an in-frame indel, missense outside 81-426, truncation after 426.",
)


# ---- access -----------------------------------------------------------------------------------------------------


def can_read_kb(user: Any) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.memberships.filter(role__in=PATIENT_DATA_ROLES).exists()


def require_kb_reader(user: Any) -> None:
    if not can_read_kb(user):
        raise PermissionDenied("The knowledge base is open to the clinical roles; researchers use the registry.")


def can_load_draft(user: Any) -> bool:
    return user.has_perm("rules.add_knowledgebaserelease")


def can_activate(user: Any) -> bool:
    return user.has_perm("rules.activate_knowledgebaserelease")


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# ---- the alteration x drug table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KbCell:
    entry: CallEntry
    notes: tuple[int, ...]  # footnote numbers of the UNVERIFIED facts the entry rests on


@dataclass(frozen=True)
class KbRow:
    letter: str
    name: str
    definition: str
    expected_effect: str
    cells: tuple[KbCell, ...]


@dataclass(frozen=True)
class KbTable:
    kb: KnowledgeBase
    release: KnowledgeBaseRelease | None  # None: the bundled files, not activated
    rows: tuple[KbRow, ...]
    unverified: tuple[str, ...]  # footnotes, numbered from 1
    citations: tuple[tuple[str, str], ...]  # (key, full reference) of every cited source


def kb_table() -> KbTable:
    """The active release as the CML-style table: a row per class A-I (and "other"), a column per drug."""
    release = active_release()
    kb = knowledge_base(release) if release else bundled_knowledge_base()
    unverified = sorted({fact for entry in kb.calls.values() for fact in entry.rests_on_unverified})
    rows = [
        _row(kb, letter, cls.name, cls.definition, cls.expected_effect, unverified)
        for letter, cls in kb.classes.items()
    ]
    rows.append(_row(kb, *OTHER_ROW, "", unverified))
    cited = sorted({key for entry in kb.calls.values() for key in entry.citations})
    return KbTable(kb, release, tuple(rows), tuple(unverified), tuple((key, kb.citations[key]) for key in cited))


def _row(kb: KnowledgeBase, letter: str, name: str, definition: str, effect: str, unverified: list[str]) -> KbRow:
    cells = []
    for drug in kb.drugs:
        entry = kb.call(letter, drug)
        notes = tuple(unverified.index(fact) + 1 for fact in entry.rests_on_unverified)
        cells.append(KbCell(entry, notes))
    return KbRow(letter, name, definition, effect, tuple(cells))


# ---- releases and re-assessments --------------------------------------------------------------------------------


def release_list() -> QuerySet[KnowledgeBaseRelease]:
    return KnowledgeBaseRelease.objects.select_related("loaded_by", "activated_by").defer("files")


def release_get(*, uuid: UUID) -> KnowledgeBaseRelease:
    return get_object_or_404(KnowledgeBaseRelease, uuid=uuid)


def release_detail_context(*, release: KnowledgeBaseRelease, user: Any) -> dict[str, Any]:
    """The release, and what it changes against the active one, grouped by section."""
    active = active_release()
    compared = active if active is not None and active.pk != release.pk else None
    entries = release_diff(release, compared) if compared is not None else ()
    sections = [(label, [item for item in entries if item.section == key]) for key, label in SECTIONS]
    return {
        "release": release,
        "active": active,
        "compared": compared,
        "sections": [(label, items) for label, items in sections if items],
        "change_count": len(entries),
        "can_activate": release.status == ReleaseStatus.DRAFT and can_activate(user),
        "runs": release.reassessments.order_by("-created_at"),
    }


def reassessment_get(*, uuid: UUID) -> ReassessmentRun:
    return get_object_or_404(ReassessmentRun.objects.select_related("release", "created_by"), uuid=uuid)


def call_changes(*, user: Any, run: ReassessmentRun) -> QuerySet[CallChange]:
    """Changed calls of the samples this user may see; the others are not shown, not even counted."""
    return (
        CallChange.objects.visible_to(user)
        .filter(run=run)
        .select_related("sample__patient", "sample__institution")
        .order_by("sample__accession", "drug")
    )


def reassessment_context(*, run: ReassessmentRun, user: Any) -> dict[str, Any]:
    """The changed calls are listed once the run has finished (polling stops then)."""
    changes = call_changes(user=user, run=run) if run.finished else CallChange.objects.none()
    return {"run": run, "changes": changes, "polling": not run.finished}


# ---- the sample assessment page ---------------------------------------------------------------------------------


def sample_get(*, user: Any, uuid: UUID) -> Sample:
    return get_object_or_404(Sample.objects.visible_to(user).select_related("patient", "institution"), uuid=uuid)


def can_reassess(*, user: Any, sample: Sample) -> bool:
    return has_role_in(user, sample.institution_id, REASSESS_ROLES)


def assessment_page_context(*, sample: Sample, user: Any) -> dict[str, Any]:
    """The latest finished assessment, and a newer one still waiting or failed, if any."""
    assessments = Assessment.objects.filter(sample=sample).select_related("release").newest_first()
    latest = assessments.filter(status=JobStatus.DONE).first()
    newer = assessments.filter(created_at__gte=latest.created_at) if latest else assessments
    return {
        "sample": sample,
        "assessment": latest,
        "pending": newer.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).first(),
        "failed": newer.filter(status=JobStatus.FAILED).first(),
        "result": _result_view(latest.result) if latest else None,
        "can_reassess": can_reassess(user=user, sample=sample),
    }


def _result_view(result: dict[str, Any]) -> dict[str, Any]:
    """The stored engine document, with the drugs as a list and limitations and context notes gathered once."""
    drugs = list(result["drugs"].values())
    limitations = list(dict.fromkeys(text for finding in drugs for text in finding["limitations"]))
    context = result["context"]
    notes = [*context["notes"], *(item["note"] for item in context["drugs"] if item["note"])]
    any_inferred = any(finding["inferred"] for finding in drugs)
    return {
        **result,
        "verdicts": drugs,
        "limitations": limitations,
        "context_notes": notes,
        "any_inferred": any_inferred,
    }
