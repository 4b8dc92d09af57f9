"""Browser tests: Playwright drives the system's Chromium against a live server on the test database, with a real
Celery worker. Without Chromium (or Playwright) they skip, saying why; REQUIRE_E2E=1 (CI) makes that a failure.

Each step saves a screenshot under the folder printed at the end of the session (CRBN_E2E_SCREENSHOTS, by default
var/e2e-screenshots), one sub-folder per test."""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connections

from crbn_portal.tests.live_services import celery_worker
from patients.tests.factories import TEST_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("CRBN_E2E_SCREENSHOTS", ROOT / "var" / "e2e-screenshots"))
SESSION_SCREENSHOTS: list[Path] = []  # taken in this session, for the summary line
# DESIGN.md, "Known pitfalls": the system's Chromium, headless, with nothing that reaches the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_E2E") == "1":
        pytest.fail(f"browser tests are required (REQUIRE_E2E=1) but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture
def browser(monkeypatch) -> Iterator[object]:
    """One Chromium per test, stopped before the test database is emptied. Playwright's sync API keeps an event
    loop running in this thread while it is started, which Django's async-safety check mistakes for async code
    calling the ORM: the test's own ORM calls are synchronous, so the check is off while the browser lives."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium") or ""
    if not Path(executable).is_file():
        looked_at = f" (no {executable})" if executable else ""
        _unavailable(f"Chromium is not installed{looked_at}: apt-get install chromium, or set CHROMIUM to its path")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
        # While Playwright's loop runs, Django keeps this thread's database connections apart from the usual ones
        # (asgiref's Local treats the thread as async); close those now, or they outlive the test database.
        connections.close_all()


@pytest.fixture
def page(live_server, browser):
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def shot(page, request) -> Callable[[str], Path]:
    """shot("signed") saves the page as NN-signed.png in this test's screenshot folder."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    taken: list[Path] = []

    def take(step: str) -> Path:
        if not taken:  # the first step of this run replaces an earlier run's screenshots
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        path = folder / f"{len(taken) + 1:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        SESSION_SCREENSHOTS.append(path)
        return path

    return take


@pytest.fixture
def worker(worker_environment) -> Iterator[object]:
    """A real Celery worker on both queues, against the live server's (test) database."""
    with celery_worker(worker_environment) as process:
        yield process


@pytest.fixture
def log_in(page) -> Callable[[object], None]:
    def as_user(user) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return as_user


def pytest_terminal_summary(terminalreporter) -> None:
    if SESSION_SCREENSHOTS:
        terminalreporter.write_line(f"Browser test screenshots ({len(SESSION_SCREENSHOTS)}): {SCREENSHOTS}")
