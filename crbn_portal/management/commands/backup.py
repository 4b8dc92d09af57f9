"""``manage.py backup DEST``: the database and the stored files in one archive (crbn_portal/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from crbn_portal.backup import backup_create


class Command(BaseCommand):
    help = (
        "Write one tar.gz archive holding the database (every app, as Django fixtures), the stored files (uploads "
        "and signed PDFs) and a manifest with the sha256 of each. DEST is the archive's path, or a folder to put "
        "crbn-backup-<time>.tar.gz in. The archive holds password hashes and signing secrets: keep it as safe as "
        "the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", type=Path, help="The archive to write, or an existing folder.")

    def handle(self, *args: Any, destination: Path, **options: Any) -> None:
        if destination.is_dir():
            destination = destination / f"crbn-backup-{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz"
        if destination.exists():
            raise CommandError(f"{destination} exists; a backup never overwrites an archive.")
        if not destination.parent.is_dir():
            raise CommandError(f"{destination.parent} is not a folder.")
        manifest = backup_create(destination=destination)
        self.stdout.write(f"{destination}: the database and {len(manifest.media_files)} stored files.")
