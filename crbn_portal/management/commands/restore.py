"""``manage.py restore ARCHIVE``: load an archive written by ``manage.py backup`` (crbn_portal/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crbn_portal.backup import RestoreRefused, backup_restore


class Command(BaseCommand):
    help = (
        "Check every checksum in the archive, then add its stored files and load its database in one "
        "transaction. Run `migrate` on an empty database first. Restore only adds: it never deletes a row nor "
        "overwrites a stored file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="An archive written by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load into a database that already holds data. Rows of the archive with the same key replace "
            "those rows, except signed reports and audit events, which the database refuses to change: then "
            "nothing is restored.",
        )

    def handle(self, *args: Any, archive: Path, force: bool, **options: Any) -> None:
        if not archive.is_file():
            raise CommandError(f"{archive}: no such archive.")
        try:
            manifest = backup_restore(archive=archive, force=force)
        except RestoreRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(
            f"Restored the database of {manifest.created_at} and {len(manifest.media_files)} stored files."
        )
