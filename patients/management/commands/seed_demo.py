"""``manage.py seed_demo``: fill an empty database with the demo cohort and one demo user per role."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError

from patients import demo
from patients.signals import demo_clearing, demo_seeded


class Command(BaseCommand):
    help = (
        "Fill an empty database with a de-identified demo cohort (two institutions, 220 patients) and one demo "
        "user per role; the other apps add lab files, assessments and relapse reports in every workflow state "
        "(the signed ones rendered to PDF). Refuses in production mode: the demo accounts share a published password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--patients-per-institution", type=int, default=110, metavar="N")
        when_present = parser.add_mutually_exclusive_group()
        when_present.add_argument(
            "--force",
            action="store_true",
            help="Delete ALL clinical records (samples, lines, patients, memberships, institutions) and the demo "
            "accounts first. Other user accounts are kept. Refuses when the database holds signed reports, which "
            "are never deleted: start from a fresh database then.",
        )
        when_present.add_argument(
            "--if-empty", action="store_true", help="Seed only an empty database; otherwise list the logins, exit 0."
        )

    def handle(
        self, *args: Any, seed: int, patients_per_institution: int, force: bool, if_empty: bool, **options: Any
    ) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run in production mode (DJANGO_ENV=production).")
        if patients_per_institution < 1:
            raise CommandError("--patients-per-institution must be at least 1.")
        if demo.demo_data_present() and not force:
            if not if_empty:
                raise CommandError(
                    "The database already has institutions, patients or demo accounts. Use --force to replace "
                    "them (deletes all clinical records) or --if-empty to leave them alone."
                )
            self.stdout.write("Demo data already present; not seeding.")
            self._write_logins(demo.demo_logins())
            return
        progress = self.stdout if options["verbosity"] > 0 else None
        summary = self._seed(seed=seed, size=patients_per_institution, replace=force, progress=progress)
        self._write_summary(summary)
        self._write_logins(summary.logins)

    def _seed(self, *, seed: int, size: int, replace: bool, progress: OutputWrapper | None) -> demo.DemoSummary:
        # One transaction for delete and seed: a failed reseed leaves the previous data in place.
        with transaction.atomic():
            if replace:
                self._clear()
            summary = demo.seed_demo(seed=seed, patients_per_institution=size, stdout=progress)
            demo_seeded.send(sender=self.__class__, seed=seed, stdout=progress)
            return summary

    def _clear(self) -> None:
        try:
            demo_clearing.send(sender=self.__class__)
            demo.clear_demo_data()
        except (ProtectedError, RestrictedError) as error:
            message = f"--force cannot delete the existing records, other records point to them: {error}"
            raise CommandError(message) from error

    def _write_summary(self, summary: demo.DemoSummary) -> None:
        self.stdout.write(self.style.SUCCESS(f"Demo cohort seeded (seed {summary.seed}):"))
        rows = [
            ("institutions", summary.institutions),
            ("demo users", summary.users),
            ("patients", summary.patients),
            ("treatment lines", summary.lines),
            ("samples", summary.samples),
            ("Len-refractory", f"{summary.len_refractory} of patients with >= 2 lines"),
            ("Pom-refractory", f"{summary.pom_refractory} of patients with >= 3 lines"),
        ]
        for label, value in rows:
            self.stdout.write(f"  {label:<16} {value}")

    def _write_logins(self, logins: list[demo.DemoLogin]) -> None:
        self.stdout.write("\nDemo logins (demo data only):")
        self.stdout.write(f"  {'username':<16} {'role':<26} {'institution':<12} password")
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.role:<26} {login.institution:<12} {login.password}")
