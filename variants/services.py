"""Writes for uploads and ingest. Views, the API and the ingest command all come through here."""

import functools
import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from patients.models import Sample

from . import signals
from .models import (
    CopyNumberSegment,
    Expression,
    Fusion,
    ParseRun,
    SmallVariant,
    SpliceJunction,
    StructuralVariant,
    VariantFile,
)
from .parsers import registry, vcf
from .parsers.facts import ParseError, ParseOptions, ParseResult
from .parsers.reader import Limits, LineSource

logger = logging.getLogger(__name__)

# Which model holds each list of a ParseResult.
ROW_MODELS: dict[str, type[models.Model]] = {
    "small_variants": SmallVariant,
    "segments": CopyNumberSegment,
    "structural_variants": StructuralVariant,
    "junctions": SpliceJunction,
    "expression": Expression,
    "fusions": Fusion,
}


def parser_limits() -> Limits:
    return Limits(max_line_bytes=settings.CRBN_MAX_LINE_BYTES, max_inflated_bytes=settings.CRBN_MAX_INFLATED_BYTES)


class UnrecognisedFile(ValidationError):
    """No parser recognises the file: its bytes are kept with a failed parse run saying what was expected."""

    def __init__(self, variant_file: VariantFile, message: str) -> None:
        super().__init__(message)
        self.variant_file = variant_file


def variant_file_upload(
    *, sample: Sample, upload: UploadedFile, by: Any, kind: str = "", tumour_sample: str = ""
) -> tuple[VariantFile, bool]:
    """Store the bytes first, unchanged, then sniff. Returns (file, created); a byte-identical re-upload for
    the same sample returns the file already stored. An empty file or one over the size limit is refused with a
    ValidationError naming it; one no parser recognises is kept and raises UnrecognisedFile."""
    _check_size(upload)
    digest = _sha256(upload)
    existing = VariantFile.objects.filter(sample=sample, sha256=digest).first()
    if existing is not None:
        return existing, False
    variant_file = VariantFile(
        sample=sample,
        original_name=Path(upload.name or "upload").name[:255],
        sha256=digest,
        size=upload.size or 0,
        kind=kind,
        kind_overridden=bool(kind),
        tumour_sample=tumour_sample,
        created_by=by,
    )
    variant_file.stored.save(variant_file.original_name, upload, save=False)
    try:
        refusal = _sniff_into(variant_file)
        _save_with_refusal(variant_file, refusal, by)
    except BaseException:
        variant_file.stored.delete(save=False)  # nothing half-written: no bytes without their row
        raise
    if refusal is not None:
        raise UnrecognisedFile(variant_file, str(refusal))
    return variant_file, True


INDEX_SUFFIXES = (".tbi", ".csi")
UploadPairs = list[tuple[UploadedFile, UploadedFile | None]]


def uploads_paired(uploads: Sequence[UploadedFile]) -> tuple[UploadPairs, list[UploadedFile]]:
    """(each uploaded file with the tabix/CSI index uploaded beside it, or None; the indexes whose file was not
    in the same upload). An index is named after its file: foo.vcf.gz.tbi or foo.vcf.gz.csi for foo.vcf.gz."""
    indexes = {indexed_name(upload.name or ""): upload for upload in uploads if indexed_name(upload.name or "")}
    files = [upload for upload in uploads if not indexed_name(upload.name or "")]
    pairs = [(upload, indexes.pop(Path(upload.name or "").name, None)) for upload in files]
    return pairs, list(indexes.values())


def indexed_name(name: str) -> str:
    """The name of the file an index file names ('foo.vcf.gz' for 'foo.vcf.gz.tbi'); '' for any other file."""
    name = Path(name).name
    suffix = next((suffix for suffix in INDEX_SUFFIXES if name.lower().endswith(suffix)), "")
    return name[: -len(suffix)] if suffix and len(name) > len(suffix) else ""


def variant_file_index_attach(
    *, upload: UploadedFile, sample: Sample, variant_file: VariantFile | None = None
) -> tuple[VariantFile, str | None]:
    """Keep an uploaded .tbi/.csi beside the bgzip file it indexes (``variant_file``, else the sample's latest
    file of the name it names), where every parse of that file finds it. Returns (that file, why the index does
    not match it or None): one that does not match is kept all the same, as every upload is, and each parse
    checks it again, ignores it and says so. Refused with a ValidationError naming it, nothing stored: an empty
    or oversized index, or no file of that name on the sample to pair it with, or a file that is not bgzip."""
    _check_size(upload)
    name = Path(upload.name or "index").name
    target = variant_file or _indexed_file(sample, name)
    source = LineSource(Path(target.stored.path), target.original_name, parser_limits())
    if not source.compressed:
        raise ValidationError(f"{name}: {target.original_name} is not bgzip-compressed, so no index can read it.")
    index_path = source.path.with_name(source.path.name + Path(name).suffix.lower())
    _write_beside(index_path, upload)
    return target, vcf.index_mismatch(source, index_path)


def _indexed_file(sample: Sample, index_name: str) -> VariantFile:
    name = indexed_name(index_name)
    found = VariantFile.objects.filter(sample=sample, original_name=name).order_by("-created_at").first()
    if found is None:
        raise ValidationError(
            f"{index_name}: an index is kept only with the file it indexes; upload it with {name}, or after it, "
            "to this sample. Nothing was stored."
        )
    return found


def _write_beside(index_path: Path, upload: UploadedFile) -> None:
    """Written whole under a temporary name, then renamed: a parse never sees half an index."""
    partial = index_path.with_name(index_path.name + ".part")
    with partial.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    os.replace(partial, index_path)


def variant_file_confirm(
    *, variant_file: VariantFile, by: Any, kind: str = "", tumour_sample: str = "", enqueue: bool = True
) -> ParseRun:
    """The uploader accepts the (sniffed or chosen) kind: create the parse run and, unless the caller parses it
    itself (the ingest command), queue it. A file is confirmed once, even if two people click at once."""
    kind = kind or variant_file.kind
    if not kind:
        raise ValidationError({"kind": f"{variant_file.original_name}: choose what kind of file this is."})
    with transaction.atomic():
        claimed = VariantFile.objects.filter(pk=variant_file.pk, confirmed=False).update(
            confirmed=True,
            kind=kind,
            kind_overridden=variant_file.kind_overridden or kind != variant_file.kind,
            tumour_sample=tumour_sample or variant_file.tumour_sample,
        )
        if not claimed:
            raise ValidationError(f"{variant_file.original_name}: this file was already confirmed.")
        variant_file.refresh_from_db()
        run = ParseRun.objects.create(file=variant_file, bytes_total=variant_file.size, created_by=by)
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def variant_file_parse_again(*, variant_file: VariantFile, by: Any) -> ParseRun:
    """A new parse run for a confirmed file whose latest run failed: after a worker was lost and the sweeper gave
    up, a limit was raised, or an index was uploaded since. The failed run stays, with its error. Two clicks at
    once queue one run: the file's row is locked while its latest run is read."""
    with transaction.atomic():
        locked = VariantFile.objects.select_for_update().get(pk=variant_file.pk)
        latest = locked.parse_runs.order_by("-created_at", "-id").first()
        if not locked.confirmed or latest is None or latest.status != ParseRun.Status.FAILED:
            raise ValidationError(
                f"{variant_file.original_name}: only a file whose last parse failed can be parsed again."
            )
        run = ParseRun.objects.create(file=locked, bytes_total=locked.size, created_by=by)
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def parse_run_execute(*, run_id: int, task_id: str, on_progress: Callable[[], None] | None = None) -> None:
    """Claim the run and parse its file. A redelivered task (same task id) may take over its own run; any
    other claim on a running or finished run is a no-op. ``on_progress`` is called after each progress write."""
    if not _claim(run_id, task_id):
        return
    run = ParseRun.objects.select_related("file__sample").get(pk=run_id)
    try:
        result = _parse(run, on_progress)
        _check_build(result, run.file)
    except ParseError as error:
        _fail(run, str(error), error.line)
    except SoftTimeLimitExceeded:
        _fail(run, f"{run.file.original_name}: parsing took longer than the time limit and was stopped", None)
    except Exception:
        logger.exception("Parse run %s failed unexpectedly", run_id)
        _fail(run, f"{run.file.original_name}: an internal error stopped the parse; the file is kept", None)
    else:
        if _succeed(run, result):
            signals.ingest_finished.send(sender=ParseRun, sample=run.file.sample, parse_run=run)


def _check_size(upload: UploadedFile) -> None:
    if not upload.size:
        raise ValidationError(f"{upload.name}: the file is empty; nothing was stored.")
    limit = settings.CRBN_UPLOAD_MAX_BYTES
    if (upload.size or 0) > limit:
        raise ValidationError(f"{upload.name}: the file is {upload.size:,} bytes; the limit is {limit:,} bytes.")


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _sniff_into(variant_file: VariantFile) -> ParseError | None:
    """Fill kind and dialect from the stored bytes; return why no parser recognises the file, unless the
    uploader chose its kind (the parse then says what was expected)."""
    source = LineSource(Path(variant_file.stored.path), variant_file.original_name, parser_limits())
    try:
        sniffed = registry.sniff(source)
    except ParseError as error:
        return None if variant_file.kind else error
    variant_file.dialect = sniffed.dialect
    variant_file.kind = variant_file.kind or sniffed.kind
    return None


def _save_with_refusal(variant_file: VariantFile, refusal: ParseError | None, by: Any) -> None:
    """An unrecognised file is kept, confirmed as nothing to parse, with a failed run carrying the reason."""
    with transaction.atomic():
        variant_file.confirmed = refusal is not None
        variant_file.save()
        if refusal is not None:
            ParseRun.objects.create(
                file=variant_file,
                status=ParseRun.Status.FAILED,
                error=str(refusal),
                error_line=refusal.line,
                bytes_total=variant_file.size,
                finished_at=timezone.now(),
                created_by=by,
            )


def _enqueue(run_id: int) -> None:
    from .tasks import ingest_file

    ingest_file.delay(run_id)


def _claim(run_id: int, task_id: str) -> bool:
    claimable = Q(status=ParseRun.Status.QUEUED) | Q(status=ParseRun.Status.RUNNING, task_id=task_id)
    updated = ParseRun.objects.filter(claimable, pk=run_id).update(
        status=ParseRun.Status.RUNNING, task_id=task_id, started_at=timezone.now(), records_read=0, bytes_read=0
    )
    return updated == 1


def _parse(run: ParseRun, on_progress: Callable[[], None] | None) -> ParseResult:
    variant_file = run.file
    source = LineSource(Path(variant_file.stored.path), variant_file.original_name, parser_limits())
    options = ParseOptions(
        tumour_sample=variant_file.tumour_sample or None, expected_build=variant_file.sample.genome_build
    )

    def progress(lines: int, bytes_read: int) -> None:
        # Outside any transaction, so the page sees it while the parse goes on.
        ParseRun.objects.filter(pk=run.pk).update(records_read=lines, bytes_read=bytes_read)
        if on_progress is not None:
            on_progress()

    return registry.parse(source, variant_file.kind, options, progress)


def _check_build(result: ParseResult, variant_file: VariantFile) -> None:
    """A file that declares another build than its sample's is refused, never silently mapped."""
    sample = variant_file.sample
    if result.build and result.build != sample.genome_build:
        raise ParseError(
            variant_file.original_name,
            None,
            f"the file is {result.build} ({result.build_evidence}) but sample {sample.accession} is "
            f"{sample.genome_build}; files are never lifted over",
        )
    if not result.build:
        result.warnings.append(
            f"The file does not state its genome build; the sample's {sample.genome_build} is assumed."
        )


def _ours(run: ParseRun) -> QuerySet[ParseRun]:
    """The run, only while this task still holds its claim: a late finisher must not overwrite a run that the
    sweeper re-queued and another task took over."""
    return ParseRun.objects.filter(pk=run.pk, status=ParseRun.Status.RUNNING, task_id=run.task_id)


def _succeed(run: ParseRun, result: ParseResult) -> bool:
    with transaction.atomic():
        if not _ours(run).select_for_update().exists():
            logger.warning("Parse run %s was taken over by another task; this result is dropped", run.pk)
            return False
        _replace_rows(run.file, result)
        _ours(run).update(
            status=ParseRun.Status.SUCCEEDED,
            records_read=result.records_read,
            bytes_read=run.file.size,
            records_kept=result.records_kept,
            build=result.build or run.file.sample.genome_build,
            build_evidence=result.build_evidence or "assumed from the sample",
            tumour_sample=result.tumour_sample,
            tumour_sample_reason=result.tumour_sample_reason,
            warnings=result.warnings,
            finished_at=timezone.now(),
        )
        VariantFile.objects.filter(pk=run.file.pk).update(dialect=result.dialect)
    return True


def _replace_rows(variant_file: VariantFile, result: ParseResult) -> None:
    """The file's earlier rows go and its new rows come in the caller's transaction: all or nothing."""
    for attribute, model in ROW_MODELS.items():
        model.objects.filter(source_file=variant_file).delete()
        facts = getattr(result, attribute)
        model.objects.bulk_create(_row(model, variant_file, fact) for fact in facts)


def _row(model: type[models.Model], variant_file: VariantFile, fact: Any) -> models.Model:
    # A shallow copy of the fact's fields (asdict would deep-copy every value), the model's columns looked up once.
    values = {field.name: getattr(fact, field.name) for field in dataclass_fields(fact)}
    if "gene1" in values:  # a fusion's first partner is its gene
        values["gene"] = values.pop("gene1")
    columns = _columns(model)
    return model(
        sample=variant_file.sample, source_file=variant_file, **{k: v for k, v in values.items() if k in columns}
    )


@functools.cache
def _columns(model: type[models.Model]) -> frozenset[str]:
    return frozenset(field.name for field in model._meta.concrete_fields)


def _fail(run: ParseRun, message: str, line: int | None) -> None:
    _ours(run).update(status=ParseRun.Status.FAILED, error=message, error_line=line, finished_at=timezone.now())
