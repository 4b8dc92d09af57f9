"""Backup and restore, proven by a round trip: a database holding a signed report with its PDF and an uploaded
file is backed up, restored into a fresh database of the same kind by the commands, and compared row by row
count and file by file hash."""

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from crbn_portal.backup import MANIFEST, NOT_DUMPED, backup_create, sha256_of
from crbn_portal.tests.live_services import ROOT, database_url
from reports.models import RenderStatus
from reports.tests.reporting import assessed_sample, draft, fresh, sign, submit
from variants.services import variant_file_upload
from variants.tests.test_ingest_worker import SJ_OUT_TAB

COUNT_ROWS = (
    "import django, json; django.setup(); from django.apps import apps; "
    "print(json.dumps({m._meta.label_lower: m._base_manager.count() for m in apps.get_models() if m._meta.managed}))"
)


def row_counts() -> dict[str, int]:
    dumped = [model for model in apps.get_models() if model._meta.managed and not _left_out(model)]
    return {model._meta.label_lower: model._base_manager.count() for model in dumped}


def _left_out(model) -> bool:
    return model._meta.app_label in NOT_DUMPED or model._meta.label_lower in NOT_DUMPED


def file_hashes(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): sha256_of(path) for path in folder.rglob("*") if path.is_file()}


@pytest.fixture
def clinical_record(world, settings, django_capture_on_commit_callbacks):
    """A signed report whose PDF was rendered, and a lab file uploaded for its sample."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    author = world.users["lab_scientist_a"]
    sample = assessed_sample(world.inst_a)
    variant_file_upload(sample=sample, upload=SimpleUploadedFile("SJ.out.tab", SJ_OUT_TAB), by=author)
    with django_capture_on_commit_callbacks(execute=True):
        report = sign(submit(draft(sample, author), author), world.users["clinician_a"])
    assert fresh(report).render_status == RenderStatus.READY
    return report


@pytest.fixture
def fresh_database(tmp_path) -> Iterator[str]:
    """An empty database of the test database's kind, migrated by the restoring process."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"crbn_restore_{uuid.uuid4().hex[:8]}"
    _postgres_admin(f'CREATE DATABASE "{name}"')
    yield database_url({**connection.settings_dict, "NAME": name})
    _postgres_admin(f'DROP DATABASE IF EXISTS "{name}"')


def _postgres_admin(statement: str) -> None:
    """On a connection of its own: CREATE and DROP DATABASE cannot run inside the test's transaction."""
    import psycopg2

    settings_dict = connection.settings_dict
    server = psycopg2.connect(
        dbname="postgres",
        **{key.lower(): settings_dict[key] for key in ("USER", "PASSWORD", "HOST", "PORT") if settings_dict[key]},
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(statement)
    finally:
        server.close()


def manage(environment: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_backup_restores_into_a_fresh_database_with_every_row_and_file(
    clinical_record, fresh_database, tmp_path, settings
):
    archive = tmp_path / "portal.tar.gz"
    call_command("backup", str(archive))
    restored_media = tmp_path / "restored-media"
    environment = {**os.environ, "DATABASE_URL": fresh_database, "MEDIA_ROOT": str(restored_media)}

    manage(environment, "migrate", "--noinput")
    manage(environment, "restore", str(archive))

    counted = subprocess.run([sys.executable, "-c", COUNT_ROWS], cwd=ROOT, env=environment, capture_output=True)
    counts = json.loads(counted.stdout)
    original = row_counts()
    assert original["reports.report"] == 1 and original["variants.variantfile"] >= 3
    assert {label: counts[label] for label in original} == original
    restored_files = file_hashes(restored_media)
    assert restored_files == file_hashes(Path(settings.MEDIA_ROOT))
    report = fresh(clinical_record)
    assert restored_files[report.pdf.name] == report.pdf_sha256


def test_restore_refuses_a_database_that_holds_data(world, tmp_path):
    archive = tmp_path / "portal.tar.gz"
    backup_create(destination=archive)
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))


def test_restore_refuses_a_damaged_archive_before_touching_anything(world, tmp_path, settings):
    archive, damaged = tmp_path / "portal.tar.gz", tmp_path / "damaged.tar.gz"
    Path(settings.MEDIA_ROOT, "uploads").mkdir(parents=True)
    Path(settings.MEDIA_ROOT, "uploads", "a.vcf").write_bytes(b"##fileformat=VCFv4.2\n")
    backup_create(destination=archive)
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            data = data.replace(b"VCFv4.2", b"VCFv4.3") if member.name.endswith("a.vcf") else data
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    Path(settings.MEDIA_ROOT, "uploads", "a.vcf").unlink()

    with pytest.raises(CommandError, match=r"Checksum mismatch.*media/uploads/a\.vcf"):
        call_command("restore", str(damaged), "--force")
    assert not Path(settings.MEDIA_ROOT, "uploads", "a.vcf").exists()
    with tarfile.open(archive) as original:
        assert "media/uploads/a.vcf" in json.loads(original.extractfile(MANIFEST).read())["files"]
