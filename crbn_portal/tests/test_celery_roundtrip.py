"""A message goes through a real broker to a real worker process and its answer comes back."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import service_required

ROOT = Path(__file__).resolve().parents[2]
SEND_AND_WAIT = (
    "import django, sys; django.setup(); from crbn_portal.tasks import health; "
    "print(health.apply_async(args=[sys.argv[1]], queue=sys.argv[2]).get(timeout=60)['token'])"
)


@contextmanager
def worker(environment: dict[str, str], queues: str) -> Iterator[subprocess.Popen]:
    command = [sys.executable, "-m", "celery", "-A", "crbn_portal", "worker", "-Q", queues, "--pool", "solo"]
    name = f"--hostname=test-{uuid.uuid4().hex[:8]}@%h"
    process = subprocess.Popen([*command, name], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def round_trip(environment: dict[str, str], queue: str, token: str) -> str:
    """Send the health task from a separate process (its own settings) and return what came back."""
    with worker(environment, queues="default,render"):
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
