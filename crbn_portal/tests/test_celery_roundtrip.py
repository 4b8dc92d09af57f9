"""A message goes through a real broker to a real worker process and its answer comes back."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import service_required
from crbn_portal.tests.live_services import celery_worker

ROOT = Path(__file__).resolve().parents[2]
SEND_AND_WAIT = (
    "import django, sys; django.setup(); from crbn_portal.tasks import health; "
    "print(health.apply_async(args=[sys.argv[1]], queue=sys.argv[2]).get(timeout=60)['token'])"
)


def round_trip(environment: dict[str, str], queue: str, token: str) -> str:
    """Send the health task from a separate process (its own settings) and return what came back."""
    with celery_worker(environment, queues="default,render"):
        command = [sys.executable, "-c", SEND_AND_WAIT, token, queue]
        result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.services
@pytest.mark.parametrize("queue", ["default", "render"])
def test_health_task_round_trip_through_redis_and_a_real_worker(queue):
    redis_url = service_required("Redis (REDIS_URL)", os.environ.get("REDIS_URL", ""))
    environment = {**os.environ, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url}
    token = uuid.uuid4().hex
    assert round_trip(environment, queue, token) == token


def test_health_task_round_trip_on_the_serverless_broker_used_by_make_run(tmp_path):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("REDIS_", "CELERY_"))}
    environment["CRBN_VAR_DIR"] = str(tmp_path)
    token = uuid.uuid4().hex
    assert round_trip(environment, "default", token) == token
