"""Bulk load without a worker: store, confirm and parse each file in this process, with progress on stderr."""

import functools
import uuid
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from crbn_portal.permissions import has_role_in
from crbn_portal.roles import UPLOADER_ROLES
from patients.models import Sample
from variants import services
from variants.forms import named_message
from variants.models import FileKind, ParseRun, VariantFile

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Load variant files into a sample without a Celery worker: each file is stored, confirmed and parsed in "
        "this process. Exits non-zero if any file failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("accession", help="The sample's lab accession.")
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--institution", help="Institution code, needed when the accession exists at several.")
        parser.add_argument("--kind", choices=FileKind.values, default="", help="Override the sniffed kind.")
        parser.add_argument("--tumour-sample", default="", help="Tumour sample column of a multi-sample file.")
        parser.add_argument("--user", help="Uploader to record; must be a lab scientist or admin there.")

    def handle(self, *args: Any, **options: Any) -> None:
        sample = _sample(options["accession"], options["institution"])
        by = _uploader(options["user"], sample)
        choices = {"kind": options["kind"], "tumour_sample": options["tumour_sample"]}
        failed = [path for path in options["files"] if not self._load(sample, path, by, choices)]
        if failed:
            names = ", ".join(path.name for path in failed)
            raise CommandError(f"{len(failed)} of {len(options['files'])} files failed: {names}")

    def _load(self, sample: Sample, path: Path, by: Any, choices: dict[str, str]) -> bool:
        """Store, confirm and parse one file; report it in one line. True when its parse succeeded."""
        try:
            variant_file, created = _store(sample, path, by, choices)
        except (OSError, ValidationError) as error:
            return self._failed(path.name, _message(path.name, error))
        if not created and variant_file.confirmed:
            return self._report_existing(variant_file)
        try:
            run = services.variant_file_confirm(variant_file=variant_file, by=by, enqueue=False, **choices)
        except ValidationError as error:
            return self._failed(path.name, named_message(path.name, error))
        return self._report(variant_file, self._execute(run, path.name))

    def _execute(self, run: ParseRun, name: str) -> ParseRun:
        """Parse now, in this process (the run was not queued), drawing progress as the service records it."""
        draw = functools.partial(self._draw, name, run.pk)
        services.parse_run_execute(run_id=run.pk, task_id=f"ingest-command-{uuid.uuid4()}", on_progress=draw)
        draw()  # the finished state: 100% when it succeeded
        run.refresh_from_db()
        self.stderr.write("")
        return run

    def _draw(self, name: str, run_id: int) -> None:
        run = ParseRun.objects.only("status", "records_read", "bytes_read", "bytes_total").get(pk=run_id)
        filled = BAR_WIDTH * run.percent // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.stderr.write(f"\r{name} [{bar}] {run.percent:3d}% {run.records_read:,} records", ending="")
        self.stderr.flush()

    def _report(self, variant_file: VariantFile, run: ParseRun) -> bool:
        if run.status != ParseRun.Status.SUCCEEDED:
            return self._failed(variant_file.original_name, run.error or f"the parse is still {run.status}")
        warnings = f"; warnings: {' | '.join(run.warnings)}" if run.warnings else ""
        self.stdout.write(
            self.style.SUCCESS(f"{variant_file.original_name}: parsed as {variant_file.dialect or variant_file.kind}")
            + f", {run.records_kept:,} rows kept of {run.records_read:,} records, build {run.build}{warnings}"
        )
        return True

    def _report_existing(self, variant_file: VariantFile) -> bool:
        uploader = variant_file.created_by.get_username() if variant_file.created_by else "an unknown user"
        self.stdout.write(
            f"{variant_file.original_name}: already uploaded on {variant_file.created_at:%d %b %Y %H:%M} "
            f"by {uploader}; not parsed again"
        )
        run = variant_file.latest_run
        return run is not None and self._report(variant_file, run)

    def _failed(self, name: str, message: str) -> bool:
        text = message if message.startswith(name) else f"{name}: {message}"
        self.stderr.write(self.style.ERROR(text))
        return False


def _sample(accession: str, institution: str | None) -> Sample:
    samples = Sample.objects.filter(accession=accession).select_related("institution")
    if institution:
        samples = samples.filter(institution__code__iexact=institution)
    found = list(samples[:10])
    where = f" at {institution}" if institution else ""
    if not found:
        raise CommandError(f"No sample with accession {accession!r}{where}.")
    if len(found) > 1:
        codes = ", ".join(sorted(sample.institution.code for sample in found))
        raise CommandError(f"Accession {accession!r} exists at several institutions ({codes}): give --institution.")
    return found[0]


def _uploader(username: str | None, sample: Sample) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}.")
    if not has_role_in(user, sample.institution_id, UPLOADER_ROLES):
        raise CommandError(f"{username} is not a lab scientist or admin at {sample.institution.code}.")
    return user


def _store(sample: Sample, path: Path, by: Any, choices: dict[str, str]) -> tuple[VariantFile, bool]:
    with path.open("rb") as handle:
        upload = File(handle, name=path.name)
        return services.variant_file_upload(sample=sample, upload=upload, by=by, **choices)


def _message(name: str, error: OSError | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return named_message(name, error)
    return f"{name}: cannot read the file ({error.strerror or error})"
