"""Rendered parts of the busiest pages (the worklist, a report's document preview), reused until the data changes.

Exactness comes from the database, not from remembering which code writes what: every connection of every
process (web, Celery worker, management command) passes its SQL through ``watch_writes``, and any INSERT, UPDATE,
DELETE or TRUNCATE on a table other than the bookkeeping ones below (and other than a running job's progress
counter) replaces the shared *generation*, a random
token kept in Redis. A cached part is stored under the generation read before it was built, so a write makes every
part built before it unreachable. The generation is replaced when the statement runs (so a transaction reads its
own writes) and again after the transaction commits (a reader that built from the old snapshot in between stored
its part under a generation that is gone by then). ``QuerySet.update()``, ``bulk_create()`` and raw SQL are all
seen, which signals would miss.

The parts themselves live in each process's memory (``PAGE_CACHE_ENTRIES`` of them at most) and die with it, so a
deploy of new templates or code starts clean. Without a shared Redis (the embedded SQLite default) there is no
generation other processes could see, and nothing is cached: the pages are built on every request. While Redis
cannot be reached nothing is cached either, and a process whose bump failed empties its own parts and pays the
bump as soon as Redis answers again; ``PAGE_CACHE_SECONDS`` bounds how long any part lives.
"""

import hashlib
import re
import secrets
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from redis.exceptions import RedisError

T = TypeVar("T")
GENERATION_KEY = "crbn:page-cache:generation"
# Written on every request or by the login machinery; no cached part shows them.
BOOKKEEPING_TABLES = frozenset(
    {
        "crbn_portal_auditevent",
        "crbn_portal_apitoken",
        "django_session",
        "axes_accessattempt",
        "axes_accessattemptexpiration",
        "axes_accessfailurelog",
        "axes_accesslog",
        "django_admin_log",
    }
)
# Progress counters of running jobs, written every second or so while a file parses or a packet renders: no cached
# part shows them (the worklist shows a parse's status, which changes in statements of its own). Whole SET clauses,
# so an update that also changes anything else still counts.
PROGRESS_UPDATES = re.compile(
    r'^UPDATE "variants_parserun" SET "records_read" = %s, "bytes_read" = %s WHERE'
    r'|^UPDATE "reports_packetexport" SET "done" = %s WHERE'
)
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?([\w.]+)"?', re.IGNORECASE)


def _shared() -> Any | None:
    """The cache holding the generation, shared by every process; None when the deployment has none (looked up
    in the settings: every write statement asks, and a missing cache alias costs an exception)."""
    return caches["page_generation"] if "page_generation" in settings.CACHES else None


def _parts() -> Any:
    return caches["page_parts"]


class _State:
    bump_owed = False  # a bump failed while Redis was unreachable; paid before anything is read from the cache


def current_generation() -> str | None:
    shared = _shared()
    if shared is None:
        return None
    try:
        if _State.bump_owed:
            _set_new_generation(shared)
        return _read_generation(shared)
    except (RedisError, OSError):
        return None


def _read_generation(shared: Any) -> str:
    generation = shared.get(GENERATION_KEY)
    if generation is None:
        # First use, or Redis lost its keys: a fresh random token cannot match a part stored before.
        generation = secrets.token_hex(8)
        if not shared.add(GENERATION_KEY, generation, timeout=None):
            generation = shared.get(GENERATION_KEY) or generation
    return generation


def _set_new_generation(shared: Any) -> None:
    shared.set(GENERATION_KEY, secrets.token_hex(8), timeout=None)
    _State.bump_owed = False


def bump() -> None:
    """Make every part cached so far unreachable. Never raises: a write must not fail for want of a cache."""
    shared = _shared()
    if shared is None:
        return
    try:
        _set_new_generation(shared)
    except (RedisError, OSError):
        _State.bump_owed = True
        _parts().clear()


def cached(name: str, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """``build()``, or what it returned for the same name and key while the data has not changed since."""
    generation = current_generation()
    if generation is None:
        return build()
    # Hashed: a key holds dates and query strings; the database's name keeps two deployments' parts apart.
    digest = hashlib.sha256(repr((settings.DATABASES["default"]["NAME"], key)).encode()).hexdigest()
    full_key = f"{name}:{generation}:{digest}"
    found = _parts().get(full_key)
    if found is None:
        found = build()
        _parts().set(full_key, found, timeout=settings.PAGE_CACHE_SECONDS)
    return found


def written_table(sql: str) -> str | None:
    """The table a data-changing statement writes to, or None for a read (or a statement we do not parse). A
    TRUNCATE can name several tables, bookkeeping ones first among them: it counts as writing every table, "*"."""
    match = WRITE.match(sql)
    if match is None:
        return None
    return "*" if match.group(0).lstrip()[:8].upper() == "TRUNCATE" else match.group(1).rsplit(".", 1)[-1].lower()


def watch_writes(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """A database execute wrapper (installed on every connection): see the module docstring."""
    result = execute(sql, params, many, context)
    table = written_table(sql)
    if table is not None and table not in BOOKKEEPING_TABLES and not PROGRESS_UPDATES.match(sql):
        bump()
        connection = context["connection"]
        if connection.in_atomic_block and not _bump_pending(connection):
            transaction.on_commit(bump, using=connection.alias)
    return result


def _bump_pending(connection: Any) -> bool:
    """Whether this transaction already bumps on commit: one bump at commit does for all its writes. A hook that a
    savepoint's rollback drops goes before any later write looks, and takes the writes made beside it along."""
    return any(hook[1] is bump for hook in connection.run_on_commit)


def install(connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver."""
    if watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)
