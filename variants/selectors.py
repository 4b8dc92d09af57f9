"""Reads for the sample page, the file status partial and the files API. Every query starts from the chokepoint.

Findings are read with one query per fact table, then split in Python into CRBN and the pathway genes, so the
page costs the same number of queries however many files or rows a sample has.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, prefetch_related_objects
from django.shortcuts import get_object_or_404

from crbn_portal.permissions import has_role_in
from crbn_portal.roles import UPLOADER_ROLES
from patients.models import Sample

from .models import (
    CopyNumberSegment,
    Expression,
    FileKind,
    Fusion,
    ParseRun,
    SmallVariant,
    SpliceJunction,
    StructuralVariant,
    VariantFile,
)
from .parsers.facts import JunctionCount
from .parsers.junctions import Exon10Counts, exon10_counts, skip_fraction

CRBN = "CRBN"
# In the order of GeneFindings' fields.
FACT_MODELS = (SmallVariant, CopyNumberSegment, StructuralVariant, Expression, Fusion)


@dataclass(frozen=True)
class GeneFindings:
    """Fact rows of one group of genes, each table in genomic order."""

    small_variants: list[SmallVariant]
    segments: list[CopyNumberSegment]
    structural_variants: list[StructuralVariant]
    expression: list[Expression]
    fusions: list[Fusion]

    @property
    def empty(self) -> bool:
        tables = (self.small_variants, self.segments, self.structural_variants, self.expression, self.fusions)
        return not any(tables)


@dataclass(frozen=True)
class Exon10Row:
    """The exon-10 skip evidence of one junction file (files are not pooled: each is one library)."""

    source_file: VariantFile
    counts: Exon10Counts
    fraction: float | None  # None when no read crosses any of the three junctions


@dataclass(frozen=True)
class Findings:
    crbn: GeneFindings
    exon10: list[Exon10Row]
    pathway: GeneFindings
    # Kinds with at least one parsed file: "none found" is only said where something was looked at, since
    # "not tested" must never read as "normal".
    parsed_kinds: frozenset[str]


def sample_get(*, user: Any, uuid: UUID) -> Sample:
    return get_object_or_404(Sample.objects.visible_to(user).select_related("patient", "institution"), uuid=uuid)


def can_upload(*, user: Any, sample: Sample) -> bool:
    return has_role_in(user, sample.institution_id, UPLOADER_ROLES)


def sample_get_for_upload(*, user: Any, uuid: UUID) -> Sample:
    """404 for a sample the user cannot see, 403 for one they see but may not upload to (a clinician)."""
    sample = sample_get(user=user, uuid=uuid)
    if not can_upload(user=user, sample=sample):
        raise PermissionDenied("Only the institution's lab scientists and admins upload files for its samples.")
    return sample


def variant_file_get(*, user: Any, uuid: UUID, sample: Sample | None = None) -> VariantFile:
    files = VariantFile.objects.visible_to(user).select_related("sample", "created_by")
    if sample is not None:
        files = files.filter(sample=sample)
    return with_current_runs(user=user, files=[get_object_or_404(files, uuid=uuid)])[0]


def sample_files(*, user: Any, sample: Sample) -> list[VariantFile]:
    """The sample's files, newest first, each with ``current_run`` (its latest parse run, or None) set."""
    files = VariantFile.objects.visible_to(user).filter(sample=sample).select_related("sample", "created_by")
    return with_current_runs(user=user, files=files.order_by("-created_at", "-id"))


def with_current_runs(*, user: Any, files: Iterable[VariantFile]) -> list[VariantFile]:
    """Attach each file's latest run as ``current_run``: one query for all files, where the model's
    ``latest_run`` property would cost one per file."""
    rows = list(files)
    newest = ParseRun.objects.visible_to(user).order_by("-created_at", "-id")[:1]
    prefetch_related_objects(rows, Prefetch("parse_runs", queryset=newest, to_attr="newest_runs"))
    for variant_file in rows:
        variant_file.current_run = variant_file.newest_runs[0] if variant_file.newest_runs else None
    return rows


def pending_files(files: Sequence[VariantFile]) -> list[VariantFile]:
    """Stored and waiting for the uploader's confirmation (unrecognised files are refused before storage)."""
    return [f for f in files if not f.confirmed]


def runs_unfinished(files: Sequence[VariantFile]) -> bool:
    return any(f.current_run is not None and not f.current_run.finished for f in files)


def status_summary(files: Sequence[VariantFile]) -> str:
    """One sentence for the live region: it changes only when a run changes state, not with its progress."""
    runs = [f.current_run for f in files if f.current_run is not None]
    if not runs:
        return "No file has been parsed yet."
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        counts[run.get_status_display().lower()] += 1
    parts = ", ".join(f"{number} {status}" for status, number in sorted(counts.items()))
    return f"{len(runs)} file{'s' if len(runs) != 1 else ''}: {parts}."


def sample_findings(*, user: Any, sample: Sample) -> Findings:
    tables = [_facts(model, user, sample) for model in FACT_MODELS]
    parsed = list(
        VariantFile.objects.visible_to(user)
        .filter(sample=sample, parse_runs__status=ParseRun.Status.SUCCEEDED)
        .distinct()
        .order_by("created_at", "id")
    )
    return Findings(
        crbn=GeneFindings(*([row for row in table if _is_crbn(row)] for table in tables)),
        exon10=_exon10_rows(user, sample, [f for f in parsed if f.kind == FileKind.JUNCTIONS]),
        pathway=GeneFindings(*([row for row in table if not _is_crbn(row)] for table in tables)),
        parsed_kinds=frozenset(f.kind for f in parsed),
    )


def sample_page_context(*, sample: Sample, user: Any) -> dict[str, Any]:
    files = sample_files(user=user, sample=sample)
    return {
        "sample": sample,
        "can_upload": can_upload(user=user, sample=sample),
        "files": [f for f in files if f.confirmed],
        "pending": pending_files(files),
        "polling": runs_unfinished(files),
        "status_summary": status_summary(files),
        "findings": sample_findings(user=user, sample=sample),
    }


def file_status_context(*, sample: Sample, user: Any) -> dict[str, Any]:
    """What the status partial needs; the findings only once every run has finished (the page swaps them in)."""
    files = sample_files(user=user, sample=sample)
    polling = runs_unfinished(files)
    return {
        "sample": sample,
        "can_upload": can_upload(user=user, sample=sample),
        "files": [f for f in files if f.confirmed],
        "polling": polling,
        "status_summary": status_summary(files),
        "swap_findings": None if polling else sample_findings(user=user, sample=sample),
    }


def _facts(model: type[Any], user: Any, sample: Sample) -> list[Any]:
    # The source file is shown beside every row (with its line), so it is joined, not fetched per row.
    return list(model.objects.visible_to(user).filter(sample=sample).select_related("source_file"))


def _is_crbn(row: Any) -> bool:
    # A fusion belongs to CRBN whichever side CRBN is on.
    return CRBN in (row.gene, getattr(row, "gene2", ""))


def _exon10_rows(user: Any, sample: Sample, files: Sequence[VariantFile]) -> list[Exon10Row]:
    """One row per parsed junction file, even one without a CRBN read (that is "not enough reads", not
    "no RNA"); counted in the sample's build, since ingest refuses a file that states another."""
    if not files:
        return []
    by_file: dict[int, list[JunctionCount]] = defaultdict(list)
    for row in SpliceJunction.objects.visible_to(user).filter(sample=sample):
        by_file[row.source_file_id].append(_junction_fact(row))
    rows = []
    for variant_file in files:
        counts = exon10_counts(by_file[variant_file.pk], sample.genome_build)
        rows.append(Exon10Row(variant_file, counts, skip_fraction(counts)))
    return rows


def _junction_fact(row: SpliceJunction) -> JunctionCount:
    return JunctionCount(row.chrom, row.intron_start, row.intron_end, row.reads, row.line, row.strand)
