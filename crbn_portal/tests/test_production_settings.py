"""Production mode refuses to start on unsafe settings. Each case starts a fresh interpreter, because
settings are read once per process."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAFE = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.org",
    "DEBUG": "0",
    "DATABASE_URL": "sqlite:////tmp/crbn-production-check.sqlite3",
}


def start_django(overrides: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in SAFE}
    environment.update({key: value for key, value in {**SAFE, **overrides}.items() if value is not None})
    command = [sys.executable, "manage.py", *(args or ("check",))]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"SECRET_KEY": None}, "needs SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "needs ALLOWED_HOSTS"),
        ({"DEBUG": "1"}, "refuses DEBUG=on"),
        ({"DATABASE_URL": None}, "needs DATABASE_URL"),
    ],
)
def test_production_mode_refuses_to_start_on_unsafe_settings(overrides, reason):
    result = start_django(overrides)
    assert result.returncode != 0
    assert reason in result.stderr


def test_production_mode_starts_with_a_secret_hosts_and_debug_off():
    result = start_django({})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_deployment_checks_pass_in_production_mode():
    result = start_django({}, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_environment_name_is_refused():
    result = start_django({"DJANGO_ENV": "prod"})
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr
