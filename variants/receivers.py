"""What the variants app does when seed_demo fills or clears the demo cohort (connected in VariantsConfig.ready).

The demo files come in exactly as a lab's do: upload, confirm, parse, through variants.services, as the
institution's lab scientist, parsed in this process (no worker runs while seeding). So the demo shows what the
parsers make of each format, failures included.
"""

import contextlib
import random
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction

from crbn_portal.roles import Role
from patients import demo as patients_demo
from patients.models import Membership, Sample, TreatmentLine
from patients.refractoriness import refractory_drugs

from . import demo, demo_background
from .models import ParseRun, VariantFile
from .services import ROW_MODELS, UnrecognisedFile, parse_run_execute, variant_file_confirm, variant_file_upload

IMIDS_TESTED_FOR = frozenset({"lenalidomide", "pomalidomide"})  # CRBN.md: test Len/Pom-exposed patients


class DemoFileError(RuntimeError):
    """A demo file did not parse as planned: a bug in variants/demo.py or in a parser, never the seed's fault."""


def write_demo_files(sender: Any, *, seed: int, stdout: IO[str] | None = None, **kwargs: Any) -> None:
    """Upload, confirm and parse every planned demo file for the seeded samples (inside seed_demo's transaction)."""
    samples = {(sample.institution.code, sample.accession): sample for sample in _seeded_samples()}
    planned = demo_background.plan_all_files([_demo_sample(sample) for sample in samples.values()], seed)
    written: list[str] = []
    try:
        failed = _ingest_all(planned, samples, seed, written)
    except BaseException:
        _delete_stored(written)  # the seed's transaction rolls the rows back; the bytes must go too
        raise
    if stdout is not None:
        rows = sum(model.objects.count() for model in ROW_MODELS.values())
        stdout.write(
            f"Demo lab files: {len(planned)} uploaded and parsed as the labs' files are ({failed} failed as "
            f"intended, with the error on the sample page); {rows} CRBN and pathway rows kept.\n"
        )


def _ingest_all(
    planned: list[demo.DemoFile], samples: dict[tuple[str, str], Sample], seed: int, written: list[str]
) -> int:
    """Ingest in plan order; returns how many failed as intended. A file that parses when it should fail, or
    fails when it should parse, stops the seed: the demo would show something it does not mean to."""
    uploaders = _lab_scientists()
    task_ids = random.Random(f"variants.demo.tasks/{seed}")
    failed = 0
    for item in planned:
        task_id = f"demo-{uuid.UUID(int=task_ids.getrandbits(128), version=4)}"
        run = _ingest(samples[(item.institution, item.accession)], item, uploaders[item.institution], task_id)
        written.append(run.file.stored.name)
        if (run.status == ParseRun.Status.FAILED) != item.broken:
            outcome = run.error or run.get_status_display()
            raise DemoFileError(f"demo file {item.name} for {item.accession} ({item.scenario}): {outcome}")
        failed += item.broken
    return failed


def clear_demo_files(sender: Any, **kwargs: Any) -> None:
    """Before seed_demo --force deletes every sample: the fact rows, then the parse runs, then the files, whose
    stored bytes go once the deletion commits (a failed reseed rolls the rows back, and they need their bytes)."""
    stored = list(VariantFile.objects.values_list("stored", flat=True))
    for model in ROW_MODELS.values():
        model.objects.all().delete()
    ParseRun.objects.all().delete()
    VariantFile.objects.all().delete()
    transaction.on_commit(lambda: _delete_stored(stored))


def _seeded_samples() -> Iterable[Sample]:
    return Sample.objects.select_related("institution", "patient").prefetch_related(
        "patient__treatment_lines__drugs", "patient__treatment_lines__line_drugs__drug"
    )


def _demo_sample(sample: Sample) -> demo.DemoSample:
    lines = sample.patient.treatment_lines.all()
    given = {drug.name for line in lines if line.start_date <= sample.collection_date for drug in line.drugs.all()}
    return demo.DemoSample(
        institution=sample.institution.code,
        accession=sample.accession,
        patient=sample.patient.study_id,
        timepoint=sample.timepoint,
        assay=sample.assay,
        build=sample.genome_build,
        collected=sample.collection_date,
        purity=float(sample.purity_pct) / 100 if sample.purity_pct else 0.6,
        imid_exposed=bool(given & IMIDS_TESTED_FOR),
        t_4_14=bool(sample.patient.t_4_14),
        refractory=_refractory_at(sample.collection_date, lines),
        death=sample.patient.date_of_death,
    )


def _refractory_at(day: date, lines: Iterable[TreatmentLine]) -> frozenset[str]:
    """Lenalidomide and pomalidomide refractoriness as known on ``day``: a later progression has not happened."""
    known = [
        line.facts
        if line.progression_date is None or line.progression_date <= day
        else replace(line.facts, progression=None)
        for line in lines
        if line.start_date <= day
    ]
    return frozenset(refractory_drugs(known)) & IMIDS_TESTED_FOR


def _lab_scientists() -> dict[str, AbstractBaseUser]:
    """Institution code -> its demo lab scientist (lab.nbh, lab.lcc), who uploads that site's files."""
    usernames = [login.username for login in patients_demo.demo_logins()]
    memberships = Membership.objects.filter(role=Role.LAB_SCIENTIST, user__username__in=usernames)
    found = {item.institution.code: item.user for item in memberships.select_related("user", "institution")}
    missing = sorted(code for code in demo.SCENARIOS if code not in found)
    if missing:
        raise DemoFileError(f"no demo lab scientist for {', '.join(missing)}")
    return found


def _ingest(sample: Sample, item: demo.DemoFile, by: AbstractBaseUser, task_id: str) -> ParseRun:
    """As the sample page does it: store and sniff, confirm the sniffed kind (with the tumour column the lab
    chose, if any), then run the parse that a worker would run."""
    upload = ContentFile(item.content, name=item.name)
    try:
        variant_file, _ = variant_file_upload(sample=sample, upload=upload, by=by, tumour_sample=item.tumour_sample)
    except UnrecognisedFile as refused:  # kept, with a failed run saying what was expected
        return refused.variant_file.parse_runs.get()
    run = variant_file_confirm(variant_file=variant_file, by=by, tumour_sample=item.tumour_sample, enqueue=False)
    parse_run_execute(run_id=run.pk, task_id=task_id)
    run.refresh_from_db()
    return run


def _delete_stored(names: list[str]) -> None:
    storage = VariantFile._meta.get_field("stored").storage
    folders = set()
    for name in names:
        storage.delete(name)
        try:
            folders.add(Path(storage.path(name)).parent)
        except NotImplementedError:  # a storage without local paths has no folders to tidy
            continue
    for folder in folders:  # one per sample (variant_files/<sample uuid>/); kept if anything else is in it
        with contextlib.suppress(OSError):
            folder.rmdir()
