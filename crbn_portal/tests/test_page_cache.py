"""The page cache: a rendered part is reused only while no data has changed, whoever changed it and however (ORM
save, ``update()``, ``bulk_create()``, raw SQL, another process), against the real Redis that holds the
generation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from conftest import service_required
from crbn_portal import page_cache
from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent
from crbn_portal.permissions import access_key
from crbn_portal.roles import Role
from patients.models import Drug, Institution, Patient
from patients.tests.factories import MembershipFactory
from reports.status import WorklistStatus
from reports.tests.reporting import assessed_sample, draft
from reports.tests.test_worklist import exposed_patient, first_relapse_sample, uploaded_file
from variants.models import ParseRun

ROOT = Path(__file__).resolve().parent.parent.parent
WORKLIST = reverse("reports:worklist")
pytestmark = pytest.mark.services


@pytest.fixture
def redis_generation(settings):
    """The page cache as deployed: the generation in the real Redis, parts in this process, emptied first."""
    url = service_required("Redis (REDIS_URL)", os.environ.get("REDIS_URL", ""))
    settings.CACHES = {**settings.CACHES, "page_generation": _redis_cache(url)}
    caches["page_parts"].clear()
    return url


def _redis_cache(url: str) -> dict:
    return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


class Builds:
    """A part's builder that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"built {self.calls}"


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ('INSERT INTO "patients_sample" ("uuid") VALUES (%s)', "patients_sample"),
        ('UPDATE "reports_report" SET "status" = %s', "reports_report"),
        ('DELETE FROM "variants_parserun" WHERE "id" IN (%s)', "variants_parserun"),
        ('TRUNCATE "django_session", "reports_report" RESTART IDENTITY', "*"),
        ("update patients_patient set mrn = ''", "patients_patient"),
        ('SELECT "id" FROM "patients_sample"', None),
        ("SAVEPOINT s1", None),
    ],
)
def test_the_table_a_statement_writes_is_read_from_its_sql(sql, table):
    assert page_cache.written_table(sql) == table


def test_a_part_is_reused_until_a_write_and_then_built_again(redis_generation, db):
    build = Builds()
    assert page_cache.cached("part", ("key",), build) == "built 1"
    assert page_cache.cached("part", ("key",), build) == "built 1"
    assert page_cache.cached("part", ("other key",), build) == "built 2"

    Institution.objects.create(name="Harbour Clinic", code="HC", country="GB")
    assert page_cache.cached("part", ("key",), build) == "built 3"


@pytest.mark.parametrize(
    "write",
    [
        lambda: Institution.objects.filter(code="NBH").update(name="Renamed"),
        lambda: Drug.objects.bulk_create([Drug(name="test drug", drug_class="proteasome_inhibitor")]),
        lambda: Institution.objects.filter(code="NBH").delete(),
        lambda: connection.cursor().execute("UPDATE patients_institution SET region = 'Elsewhere'"),
    ],
    ids=["update", "bulk_create", "delete", "raw SQL"],
)
def test_every_way_of_writing_replaces_the_generation(redis_generation, world, write):
    before = page_cache.current_generation()
    write()
    assert page_cache.current_generation() != before


def test_a_parse_runs_progress_keeps_the_parts_and_its_status_does_not(redis_generation, world):
    sample = first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    run = ParseRun.objects.get(file=uploaded_file(sample, run_status=ParseRun.Status.RUNNING))
    before = page_cache.current_generation()
    ParseRun.objects.filter(pk=run.pk).update(records_read=1_000, bytes_read=4_096)  # what the ingest writes
    assert page_cache.current_generation() == before
    ParseRun.objects.filter(pk=run.pk).update(records_read=2_000, bytes_read=8_192, status=ParseRun.Status.FAILED)
    assert page_cache.current_generation() != before


def test_bookkeeping_writes_keep_the_parts(redis_generation, world, rf):
    request = rf.get("/")
    request.user = world.users["clinician_a"]
    before = page_cache.current_generation()
    audit_record(request=request, action=AuditEvent.Action.VIEW, detail={"page": "test"})
    assert AuditEvent.objects.filter(detail__page="test").exists()
    assert page_cache.current_generation() == before


@pytest.mark.django_db(transaction=True)
def test_a_write_after_a_rolled_back_savepoint_still_bumps_at_commit(redis_generation):
    """The savepoint's hook is dropped with it; the write after it must register its own."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                Institution.objects.create(name="Harbour Clinic", code="HC", country="GB")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        Institution.objects.create(name="Quay Hospital", code="QH", country="GB")
        read_before_commit = page_cache.current_generation()
    assert page_cache.current_generation() != read_before_commit


@pytest.mark.django_db(transaction=True)
def test_a_transaction_replaces_the_generation_again_when_it_commits(redis_generation):
    """A reader that took the generation after the write but before the commit built from the old rows: its part
    must not outlive the commit. Several writes register one bump at commit."""
    with transaction.atomic():
        Institution.objects.create(name="Harbour Clinic", code="HC", country="GB")
        Institution.objects.filter(code="HC").update(region="Europe")
        read_before_commit = page_cache.current_generation()
        hooks = [hook for hook in connection.run_on_commit if hook[1] is page_cache.bump]
        assert len(hooks) == 1
    assert page_cache.current_generation() != read_before_commit


def test_without_redis_every_request_builds(settings, db):
    settings.CACHES = {name: spec for name, spec in settings.CACHES.items() if name != "page_generation"}
    build = Builds()
    page_cache.cached("part", ("key",), build)
    page_cache.cached("part", ("key",), build)
    assert build.calls == 2


def test_an_unreachable_redis_builds_the_page_and_owes_the_bump(redis_generation, settings, db):
    build = Builds()
    page_cache.cached("part", ("key",), build)
    settings.CACHES = {**settings.CACHES, "page_generation": _redis_cache("redis://127.0.0.1:1/0")}

    Institution.objects.create(name="Harbour Clinic", code="HC", country="GB")  # the bump fails; the write stands
    assert Institution.objects.filter(code="HC").exists()
    assert page_cache.cached("part", ("key",), build) == "built 2"  # built, not served from the cache

    settings.CACHES = {**settings.CACHES, "page_generation": _redis_cache(redis_generation)}
    assert page_cache.cached("part", ("key",), build) == "built 3"  # the owed bump was paid first
    assert page_cache.cached("part", ("key",), build) == "built 3"


# ---- the pages that use it ------------------------------------------------------------------------------------


def test_the_worklist_is_served_from_the_cache_until_a_parse_run_changes(redis_generation, client, world):
    sample = first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    variant_file = uploaded_file(sample, run_status=ParseRun.Status.RUNNING)
    client.force_login(world.users["clinician_a"])
    assertContains(client.get(WORKLIST), status_cell(WorklistStatus.PARSING))

    cached = client.get(WORKLIST)
    assert "sections" not in cached.context  # the selectors did not run
    assertContains(cached, status_cell(WorklistStatus.PARSING))
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LIST, detail__page="worklist").count() == 2

    ParseRun.objects.filter(file=variant_file).update(status=ParseRun.Status.FAILED, error="line 3: bad POS")
    assertContains(client.get(WORKLIST), status_cell(WorklistStatus.PARSE_FAILED))


def status_cell(status: WorklistStatus) -> str:
    """A row's status as the table shows it (the filter form lists every status's label too)."""
    return f'<span class="worklist-status worklist-status--{status.value}">{status.label}</span>'


def test_a_cached_worklist_is_shared_only_by_users_with_the_same_access(redis_generation, world):
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    colleague = MembershipFactory(institution=world.inst_a, role=Role.CLINICIAN).user
    # Everyone logs in first: a login writes the user's last_login, which starts a new generation.
    users = {
        "clinician_a": world.users["clinician_a"],
        "colleague": colleague,
        "clinician_b": world.users["clinician_b"],
    }
    clients = {name: Client() for name in users}
    for name, user in users.items():
        clients[name].force_login(user)
    assertContains(clients["clinician_a"].get(WORKLIST), "NBH-001")

    shared = clients["colleague"].get(WORKLIST)
    assert "sections" not in shared.context  # built for clinician_a, whose access is the same
    assertContains(shared, "NBH-001")

    other = clients["clinician_b"].get(WORKLIST)
    assert "sections" in other.context
    assertNotContains(other, "NBH-001")


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("clinician_a", "colleague", True),
        ("clinician_a", "lab_scientist_a", False),
        ("clinician_a", "clinician_b", False),
        ("clinician_a", "superuser", False),
        ("researcher_a", "clinician_a", False),
    ],
)
def test_the_access_key_is_the_users_memberships(world, first, second, same):
    world.users["colleague"] = MembershipFactory(institution=world.inst_a, role=Role.CLINICIAN).user
    assert (access_key(world.users[first]) == access_key(world.users[second])) is same


def test_an_inactive_user_shares_nothing_with_the_active(world):
    inactive = MembershipFactory(institution=world.inst_a, role=Role.CLINICIAN, user__is_active=False).user
    assert access_key(inactive) == access_key(AnonymousUser()) != access_key(world.users["clinician_a"])


@pytest.mark.django_db(transaction=True)
def test_a_write_by_another_process_reaches_the_cached_worklist(redis_generation, client, world, worker_environment):
    # An earlier transactional test's flush may have emptied the drug list its migration loaded.
    Drug.objects.get_or_create(name="lenalidomide", defaults={"drug_class": "imid"})
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    client.force_login(world.users["clinician_a"])
    assertContains(client.get(WORKLIST), '<td><abbr title="Northbridge Hospital">NBH</abbr></td>')

    rename = "from patients.models import Institution; Institution.objects.filter(code='NBH').update(name='Quayside')"
    command = [sys.executable, "manage.py", "shell", "--no-imports", "-c", rename]
    subprocess.run(command, cwd=ROOT, env={**os.environ, **worker_environment}, check=True, capture_output=True)
    assertContains(client.get(WORKLIST), '<td><abbr title="Quayside">NBH</abbr></td>')  # the row, not the menu


def test_a_report_preview_is_rebuilt_when_the_patient_changes(redis_generation, client, world):
    report = draft(assessed_sample(world.inst_a), world.users["lab_scientist_a"])
    client.force_login(world.users["clinician_a"])
    page = reverse("report:detail", args=[report.uuid])
    first = client.get(page).context["preview"]
    assert client.get(page).context["preview"] == first

    Patient.objects.filter(pk=report.sample.patient_id).update(study_id="NBH-RENAMED")
    assert "NBH-RENAMED" in client.get(page).context["preview"]
