"""How the portal holds up under 32 clinicians at once: gunicorn (2 workers) on PostgreSQL with the demo cohort,
clients that each log in and alternate between the worklist and a relapse report page.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 32] [--workers 2] [--database crbn_rel_bench] [--keep]
        [--think 0] [--redis redis://127.0.0.1:6379/0 | --redis ""]

Creates a PostgreSQL database (dropped at the end unless --keep), migrates it and seeds the demo in a temp
CRBN_VAR_DIR (bench/report.py's scratch helpers), starts gunicorn with DEBUG off and Redis configured as a
deployment has it (the broker, and the generation of the page cache, crbn_portal/page_cache.py) and persistent
database connections (CONN_MAX_AGE 60, as docker-compose.yml), and drives it with one thread
per client, each with its own session and its own connections: the clients wait on the network, not on each
other, so the GIL does not serialise them. Prints errors, p50/p95/p99 per page and in all, requests per second,
and PASS/MISS against the target (no errors, p99 < 500 ms). Not a test: the suite never runs it.

By default a client sends its next request as soon as the last one answered (no think time), so 32 clients keep
32 requests in flight. ``--think S`` makes each client wait S seconds between requests, as a clinician reading a
page would; the target is stated for the default.
"""

import argparse
import http.cookiejar
import itertools
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from report import Scratch, close_scratch, manage, open_scratch

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 500.0
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DEMO_PASSWORD = "crbn-demo-2026"  # patients/demo.py
# One account per client, each a clinician at NBH, as 32 colleagues would be: each logs in and keeps its own
# session; what the page cache keeps they share, as colleagues with the same access do.
CLINICIANS = (
    "from django.contrib.auth import get_user_model; from patients.models import Institution, Membership; "
    "site = Institution.objects.get(code='NBH')\n"
    "for n in range({count}):\n"
    "    user = get_user_model().objects.create_user(f'bench.clinician.{{n:02d}}', password='{password}')\n"
    "    Membership.objects.create(user=user, institution=site, role='clinician')"
)
REPORT_UUIDS = (
    "from reports.models import Report; "
    "print(*Report.objects.filter(sample__patient__institution__code='NBH').values_list('uuid', flat=True))"
)


@dataclass
class Results:
    """Latencies (ms) per page and the errors, shared by the client threads."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, page: str, milliseconds: float, error: str = "") -> None:
        with self.lock:
            self.latencies[page].append(milliseconds)
            if error:
                self.errors.append(f"{page}: {error}")


def deployed(redis_url: str) -> dict[str, str]:
    """As docker-compose.yml deploys the portal: Redis, and database connections kept for 60 s, not one per request."""
    return {"REDIS_URL": redis_url, "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60")}


def start_gunicorn(scratch: Scratch, workers: int, port: int, redis_url: str) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "crbn_portal.wsgi:application"]
    options = ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    environment = {**os.environ, **scratch.env, **deployed(redis_url)}
    server = subprocess.Popen([*command, *options], cwd=ROOT, env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def clinician(index: int) -> str:
    return f"bench.clinician.{index:02d}"


def logged_in_opener(base: str, username: str) -> urllib.request.OpenerDirector:
    """A client of its own: a cookie jar, the login form's CSRF token, its own clinician account."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{base}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = {"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
    landed = opener.open(f"{base}/accounts/login/", urllib.parse.urlencode(data).encode(), timeout=30)
    if "/accounts/login/" in landed.geturl():
        raise SystemExit(f"{username} could not log in")
    return opener


def timed_get(opener: urllib.request.OpenerDirector, url: str) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        with opener.open(url, timeout=30) as response:
            response.read()
            error = "" if response.status == 200 else f"HTTP {response.status}"
    except (urllib.error.URLError, OSError) as failure:
        error = str(failure)
    return (time.perf_counter() - started) * 1000, error


def client(opener, pages: list[tuple[str, str]], start: threading.Barrier, deadline_box: list, results, think) -> None:
    start.wait()  # every client logged in before the clock starts
    for page, url in itertools.cycle(pages):
        if time.monotonic() >= deadline_box[0]:
            return
        milliseconds, error = timed_get(opener, url)
        results.record(page, milliseconds, error)
        time.sleep(think)  # a clinician reading the page before the next click; 0 (the default) sends at once


def pages_for(base: str, report_uuids: list[str], index: int) -> list[tuple[str, str]]:
    """Worklist and report page in turn; each client reads its own report, so the reports are spread."""
    report = report_uuids[index % len(report_uuids)]
    return [("worklist", f"{base}/worklist/"), ("report page", f"{base}/reports/{report}/")]


def drive(base: str, report_uuids: list[str], clients: int, seconds: float, think: float) -> tuple[Results, float]:
    results, start = Results(), threading.Barrier(clients + 1)
    deadline_box = [0.0]
    threads = []
    for index in range(clients):
        pages = pages_for(base, report_uuids, index)
        arguments = (logged_in_opener(base, clinician(index)), pages, start, deadline_box, results, think)
        threads.append(threading.Thread(target=client, args=arguments, daemon=True))
        threads[-1].start()
    deadline_box[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join()
    return results, time.monotonic() - began


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(share) - 1] if len(values) > 1 else values[0]


def print_results(results: Results, elapsed: float, clients: int) -> bool:
    everything = [ms for values in results.latencies.values() for ms in values]
    print(f"\n{clients} clients for {elapsed:.1f} s: {len(everything)} requests, {len(everything) / elapsed:.1f}/s")
    print(f"{'page':<14}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for page, values in [*sorted(results.latencies.items()), ("all", everything)]:
        figures = "".join(f"{percentile(values, share):>10.0f}" for share in (50, 95, 99))
        print(f"{page:<14}{len(values):>10}{figures}")
    p99 = percentile(everything, 99)
    print(f"errors: {len(results.errors)}" + "".join(f"\n  {error}" for error in results.errors[:10]))
    passed = not results.errors and p99 < TARGET_P99_MS
    print(f"target: 0 errors and p99 < {TARGET_P99_MS:.0f} ms -> p99 {p99:.0f} ms: {'PASS' if passed else 'MISS'}")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="crbn_rel_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database and the var dir afterwards")
    parser.add_argument("--think", type=float, default=0, help="seconds each client waits between requests")
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help='Redis for the server, as deployed; "" runs without (no page cache)',
    )
    args = parser.parse_args()
    scratch = open_scratch(args.database)
    try:
        manage(scratch, "migrate", "--noinput")
        manage(scratch, "seed_demo")
        report_uuids = UUID.findall(manage(scratch, "shell", "--no-imports", "-c", REPORT_UUIDS))
        manage(scratch, "shell", "--no-imports", "-c", CLINICIANS.format(count=args.clients, password=DEMO_PASSWORD))
        server = start_gunicorn(scratch, args.workers, args.port, args.redis)
        try:
            print(f"gunicorn, {args.workers} sync workers, DEBUG off; {len(report_uuids)} NBH reports")
            print(f"{args.clients} NBH clinicians, one account each ({clinician(0)}...)")
            print(f"Redis: {args.redis or 'none (the page cache is off)'}; CONN_MAX_AGE {deployed('')['CONN_MAX_AGE']}")
            print(f"think time {args.think:g} s between a client's requests")
            base = f"http://127.0.0.1:{args.port}"
            results, elapsed = drive(base, report_uuids, args.clients, args.seconds, args.think)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print_results(results, elapsed, args.clients)
    finally:
        close_scratch(scratch, args.keep)


if __name__ == "__main__":
    main()
