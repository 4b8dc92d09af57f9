"""Backup and restore: the database and the stored files (uploads, signed PDFs) in one tar.gz archive.

The archive holds ``manifest.json`` (the sha256 of every other member), ``database.json`` (Django's dumpdata of
every app, users and groups identified by name) and ``media/`` (the stored files as they are). The dump is in
Django's own format, so it loads through the models into a database migrated by the same release.

Restore loads into a freshly migrated, empty database (or, when forced, over rows with the same keys). It never
deletes a row and never overwrites a stored file; signed reports and audit events are guarded by the database
itself, so an archive that would change one is refused and nothing at all is restored.
"""

import hashlib
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.utils import timezone

ARCHIVE_FORMAT = 1
MANIFEST, DUMP, MEDIA = "manifest.json", "database.json", "media"
# Rebuilt by migrate, so not dumped: content types and permissions. Left out on purpose: sessions (everyone logs in
# again) and the admin's log, each entry of which is already an audit event (restoring it would add them twice).
NOT_DUMPED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]
# Rows that migrate itself writes (the drug list, the role groups): a database holding only these counts as empty.
# Groups and users are dumped by name, so the restored ones meet the groups migrate made rather than clash.
WRITTEN_BY_MIGRATIONS = {"contenttypes.contenttype", "auth.permission", "patients.drug", "auth.group"}
CHUNK = 1 << 20


class RestoreRefused(Exception):
    """The archive is damaged, or restoring it would change what is already there."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database_vendor: str
    files: dict[str, str]  # archive member -> sha256

    @property
    def media_files(self) -> list[str]:
        return sorted(name for name in self.files if name.startswith(f"{MEDIA}/"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ---- backup -----------------------------------------------------------------------------------------------------


def backup_create(*, destination: Path) -> Manifest:
    """Write the archive to ``destination`` (a partial file until complete, so a failed run leaves no archive)."""
    from django.db import connection

    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DUMP
        call_command(
            "dumpdata", exclude=_not_dumped(), natural_foreign=True, natural_primary=True, output=str(dump), verbosity=0
        )
        media = {f"{MEDIA}/{path.relative_to(media_root).as_posix()}": path for path in _files_under(media_root)}
        files = {DUMP: sha256_of(dump)} | {name: sha256_of(path) for name, path in media.items()}
        manifest = Manifest(timezone.now().isoformat(), connection.vendor, files)
        (Path(work) / MANIFEST).write_text(json.dumps(manifest.__dict__, indent=2))
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
            archive.add(dump, arcname=DUMP)
            for name, path in media.items():
                archive.add(path, arcname=name)
        partial.replace(destination)
    return manifest


def _not_dumped() -> list[str]:
    """NOT_DUMPED and the unmanaged models: they have no table of the project's (a permission holder, a view)."""
    return NOT_DUMPED + [model._meta.label for model in apps.get_models() if not model._meta.managed]


def _files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


# ---- restore ----------------------------------------------------------------------------------------------------


def models_holding_data() -> list[str]:
    """The models with rows other than those migrate writes: none in an empty database."""
    return [
        model._meta.label
        for model in apps.get_models()
        if model._meta.label_lower not in WRITTEN_BY_MIGRATIONS and model._meta.managed and not model._meta.proxy
        if model._base_manager.exists()
    ]


def backup_restore(*, archive: Path, force: bool = False) -> Manifest:
    """Check every checksum, then add the stored files and load the database in one transaction. Refuses a
    database that already holds data unless ``force``; even then it only adds (see the module's docstring)."""
    holding = [] if force else models_holding_data()
    if holding:
        raise RestoreRefused(
            f"The database is not empty (rows in {', '.join(holding[:5])}): restore into a freshly migrated "
            "database, or use --force."
        )
    with _unpacked(archive) as (folder, manifest):
        added = _add_media(folder, manifest)
        try:
            with transaction.atomic():
                call_command("loaddata", str(folder / DUMP), verbosity=0)
        except DatabaseError as error:
            _remove(added)
            raise RestoreRefused(f"The database refused the archive; nothing was restored. {error}") from error
        except BaseException:
            _remove(added)
            raise
    return manifest


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@contextmanager
def _unpacked(archive: Path) -> Iterator[tuple[Path, Manifest]]:
    with tempfile.TemporaryDirectory() as work, tarfile.open(archive, "r:gz") as tar:
        folder = Path(work)
        tar.extractall(folder, filter="data")  # refuses absolute paths, "..", links out of the folder
        yield folder, _verified(folder)


def _verified(folder: Path) -> Manifest:
    try:
        manifest = Manifest(**json.loads((folder / MANIFEST).read_text()))
    except (OSError, ValueError, TypeError) as error:
        raise RestoreRefused(f"The archive has no readable {MANIFEST}: {error}") from error
    present = {path.relative_to(folder).as_posix() for path in _files_under(folder)} - {MANIFEST}
    if present != set(manifest.files):
        raise RestoreRefused(f"The archive's files differ from its manifest: {sorted(present ^ set(manifest.files))}")
    damaged = [name for name, digest in manifest.files.items() if sha256_of(folder / name) != digest]
    if damaged:
        raise RestoreRefused(f"Checksum mismatch, the archive is damaged: {damaged}")
    return manifest


def _add_media(folder: Path, manifest: Manifest) -> list[Path]:
    """Copy the stored files that are not there yet; one already there must be byte-identical."""
    media_root = Path(settings.MEDIA_ROOT)
    targets = {name: media_root / name.removeprefix(f"{MEDIA}/") for name in manifest.media_files}
    clashing = [
        name for name, target in targets.items() if target.exists() and sha256_of(target) != manifest.files[name]
    ]
    if clashing:
        raise RestoreRefused(f"Stored files differ from the archive's and are never overwritten: {clashing}")
    added = []
    for name, target in targets.items():
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, target)
            added.append(target)
    return added
