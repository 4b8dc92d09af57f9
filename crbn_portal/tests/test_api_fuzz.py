"""Fuzzing the whole API from its own OpenAPI schema: for every operation, a bounded number of generated requests,
sent as a lab scientist and as a clinician (each through an API token), must never meet a server error and every
documented answer must match the schema. Most generated UUIDs name nothing (404); the lists hold real rows."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from crbn_portal import tokens
from patients.tests.factories import TreatmentLineFactory
from reports.tests.reporting import assessed_sample, draft, submit
from rules.tests.stored import parsed_file, w380c
from variants.models import FileKind

PERSONAS = ("lab_scientist_a", "clinician_a")
# 39 operations x this many examples x 2 personas: about 20 s on SQLite, 40 s on PostgreSQL, on 2 busy cores.
EXAMPLES_PER_OPERATION = 6

# Fuzzing only, which max_examples bounds: the coverage phase's boundary cases are unbounded (minutes here).
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}, "examples": {"enabled": False}}})
# Loaded once, at collection: generating the schema reads no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture(autouse=True)
def connection_kept_open():
    """Django closes the database connection when a request ends; the test client turns that off for its
    requests, a WSGI call does not. On PostgreSQL that would close the connection holding the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def headers(world) -> dict[str, dict[str, str]]:
    """Data the fuzzer can reach (a patient with a line, a sample with a parsed file, an assessment and a report in
    review), and one token per persona."""
    sample = assessed_sample(world.inst_a)
    TreatmentLineFactory(patient=sample.patient, drugs=["lenalidomide", "dexamethasone"])
    w380c(parsed_file(sample, FileKind.SMALL_VARIANTS))
    author = world.users["lab_scientist_a"]
    submit(draft(sample, author), author)
    secrets = {
        name: tokens.token_create(user=world.users[name], institution=world.inst_a, name="fuzz")[1] for name in PERSONAS
    }
    return {name: {"Authorization": f"Token {secret}"} for name, secret in secrets.items()}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_error_and_answers_match_the_schema(case, headers):
    for persona in PERSONAS:
        case.call_and_validate(headers=headers[persona], checks=[not_a_server_error, response_schema_conformance])
