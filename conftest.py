"""Personas shared by every test: two institutions, each role at institution A, a clinician at B."""

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from crbn_portal.roles import Role
from patients.tests.factories import InstitutionFactory, MembershipFactory, UserFactory

SHARED_DIR = Path(__file__).resolve().parent.parent / "shared"
CORPUS_DIR = SHARED_DIR / "corpus"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's deliberate slowness costs seconds per persona; tests do not need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded and demo files go to a folder of the test's own, never into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def without_demo_reports():
    """Reseeding one database needs --force, which refuses once the demo holds signed reports (they are never
    deleted); tests about the cohort or its assessments leave the reports app's demo reports out."""
    from patients.signals import demo_seeded
    from reports.receivers import write_demo_reports

    demo_seeded.disconnect(dispatch_uid="reports.write_demo_reports")
    yield
    demo_seeded.connect(write_demo_reports, dispatch_uid="reports.write_demo_reports")


@dataclass
class World:
    """Two institutions in different regions and one user per persona."""

    inst_a: object
    inst_b: object
    users: dict[str, object]


@pytest.fixture
def world(db) -> World:
    inst_a = InstitutionFactory(name="Northbridge Hospital", code="NBH", country="GB", region="Europe")
    inst_b = InstitutionFactory(name="Lakeshore Cancer Center", code="LCC", country="US", region="North America")
    users = {}
    for role in Role:
        users[f"{role}_a"] = MembershipFactory(user__username=f"{role}_a", institution=inst_a, role=role).user
    users["clinician_b"] = MembershipFactory(user__username="clinician_b", institution=inst_b, role=Role.CLINICIAN).user
    users["superuser"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    return World(inst_a=inst_a, inst_b=inst_b, users=users)


def service_required(name: str, url: str) -> str:
    """Return the service's URL, or skip (fail under REQUIRE_SERVICES=1) when it is not configured."""
    if url:
        return url
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is required (REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{name} not configured: set its URL to run this test")


@pytest.fixture
def worker_environment(settings) -> dict[str, str]:
    """The environment of a Celery worker subprocess: the test database (PostgreSQL; use transactional tests so the
    worker sees the test's rows), REDIS_URL as its broker, and the test's media folder."""
    from django.db import connection

    from crbn_portal.tests.live_services import database_url, environment_for

    redis_url = service_required("Redis (REDIS_URL)", os.environ.get("REDIS_URL", ""))
    if connection.vendor != "postgresql":
        service_required("PostgreSQL (DATABASE_URL)", "")
    return environment_for(database_url(connection.settings_dict), redis_url, settings.MEDIA_ROOT)


def _shared_folder(folder: Path) -> Path:
    if folder.is_dir():
        return folder
    if os.environ.get("REQUIRE_CORPUS") == "1":
        pytest.fail(f"shared folder {folder} is required (REQUIRE_CORPUS=1) but absent")
    pytest.skip(f"shared folder {folder} absent")


@pytest.fixture
def corpus_dir() -> Path:
    """The shared corpus of real files; skipped when absent unless REQUIRE_CORPUS=1."""
    return _shared_folder(CORPUS_DIR)


@pytest.fixture
def domain_dir() -> Path:
    """The shared domain notes (UniProt sequence and features); skipped like the corpus when absent."""
    return _shared_folder(SHARED_DIR / "domain")
