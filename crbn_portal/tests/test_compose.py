"""The Dockerfile and docker-compose.yml, checked without a Docker engine (none runs on the development machines).

Every container command must name code that exists here: a WSGI callable for gunicorn, a Celery app and its
queues for each worker, a management command for manage.py. The checkers are also fed broken commands and files,
so a check that could never fail would show up here first.
"""

import contextlib
import importlib
import inspect
import io
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from django.core.management import get_commands
from gunicorn.config import Config as GunicornConfig

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = {"migrate", "web", "worker", "render"}
WORKERS = ("worker", "render")


# --- Checking one command ---------------------------------------------------------------------------------------


def command_problems(command: str | list[str]) -> list[str]:
    """What would stop this container command from starting; an empty list when nothing would."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    checkers = {"gunicorn": gunicorn_problems, "celery": celery_problems, "python": manage_problems}
    checker = checkers.get(argv[0] if argv else "")
    if checker is None:
        return [f"no checker for {argv[:1]}: teach command_problems this program"]
    return checker(argv[1:])


def gunicorn_problems(args: list[str]) -> list[str]:
    """Parse the arguments with gunicorn's own parser, then import module:attribute as gunicorn would."""
    with contextlib.redirect_stderr(io.StringIO()) as usage:  # argparse prints its complaint, then exits
        try:
            target = GunicornConfig().parser().parse_args(args).args
        except SystemExit:
            return [f"gunicorn rejects its arguments: {usage.getvalue().strip().splitlines()[-1]}"]
    if len(target) != 1:
        return [f"gunicorn needs one module:attribute, got {target}"]
    module_name, _, attribute = target[0].partition(":")
    try:
        application = getattr(importlib.import_module(module_name), attribute or "application")
    except (ImportError, AttributeError) as error:
        return [f"gunicorn app {target[0]} does not import: {error}"]
    if not callable(application) or len(inspect.signature(application).parameters) != 2:
        return [f"gunicorn app {target[0]} is not a WSGI callable taking (environ, start_response)"]
    return []


def celery_problems(args: list[str]) -> list[str]:
    """Find the app as `celery -A` does; every -Q queue must be one the app declares."""
    app_names = option_values(args, "-A", "--app")
    if len(app_names) != 1:
        return [f"celery needs one -A/--app, got {app_names}"]
    try:
        app = find_app(app_names[0])
    except (ImportError, AttributeError) as error:
        return [f"celery -A {app_names[0]} finds no Celery app: {error}"]
    if not isinstance(app, Celery):
        return [f"celery -A {app_names[0]} finds {app!r}, not a Celery app"]
    # A misspelt queue would not stop the worker: Celery creates missing queues, and the worker waits on an
    # empty one forever while the real queue fills up.
    declared = queue_names(app)
    return [f"queue {name!r} is not in task_queues {sorted(declared)}" for name in queues(args) if name not in declared]


def manage_problems(args: list[str]) -> list[str]:
    if len(args) < 2 or args[0] != "manage.py":
        return [f"python runs {args[:2]}, expected manage.py <command>"]
    if args[1] not in get_commands():
        return [f"manage.py has no command {args[1]!r}"]
    return []


def option_values(args: list[str], short: str, long: str) -> list[str]:
    """The values of one option however it is spelt: `-Q a`, `-Qa`, `--queues a`, `--queues=a`."""
    values = []
    for index, arg in enumerate(args):
        if arg in (short, long) and index + 1 < len(args):
            values.append(args[index + 1])
        elif arg.startswith(f"{long}="):
            values.append(arg.partition("=")[2])
        elif arg.startswith(short) and arg != short and not arg.startswith("--"):
            values.append(arg[len(short) :])
    return values


def queues(args: list[str]) -> list[str]:
    return [name for value in option_values(args, "-Q", "--queues") for name in value.split(",")]


def queue_names(app: Celery) -> set[str]:
    """Declared queues; an app that declares none has only its default queue."""
    return {queue.name for queue in app.conf.task_queues or ()} or {app.conf.task_default_queue}


@pytest.mark.parametrize(
    "command",
    [
        "gunicorn crbn_portal.wsgi:application --bind 0.0.0.0:8000 --workers 2",
        "gunicorn --workers=2 crbn_portal.wsgi",
        "celery -A crbn_portal worker -Q default,render --concurrency 1",
        "celery --app=crbn_portal worker --queues=render",
        "python manage.py migrate --noinput",
    ],
)
def test_the_command_checker_passes_commands_that_would_start(command):
    assert command_problems(command) == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("celery -A crbn_portal worker -Q default,rendr", "queue 'rendr' is not in task_queues"),
        ("celery -A crbn_portal worker -Qpdf", "queue 'pdf'"),
        ("celery -A no_such_module worker -Q default", "finds no Celery app"),
        ("celery -A json worker", "finds no Celery app"),
        ("celery worker -Q default", "needs one -A"),
        ("gunicorn no_such_module.wsgi:application", "does not import"),
        ("gunicorn crbn_portal.wsgi:app", "does not import"),
        ("gunicorn crbn_portal.settings:SECRET_KEY", "not a WSGI callable"),
        ("gunicorn crbn_portal.wsgi:application --wrokers 2", "rejects its arguments"),
        ("python manage.py migrat --noinput", "no command 'migrat'"),
        ("python -m celery worker", "expected manage.py"),
        ("uwsgi --http :8000", "no checker"),
    ],
)
def test_the_command_checker_reports_commands_that_would_not_start(command, expected):
    problems = command_problems(command)
    assert any(expected in problem for problem in problems), problems


# --- docker-compose.yml -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def app_services(services: dict[str, dict]) -> dict[str, dict]:
    """The services built from this project's Dockerfile (db and redis run stock images)."""
    return {name: service for name, service in services.items() if "build" in service}


def environment(service: dict) -> dict[str, str | None]:
    """A service's environment, whether written as a mapping or as a list of KEY=value."""
    variables = service.get("environment") or {}
    if isinstance(variables, list):
        return {key: value for key, _, value in (item.partition("=") for item in variables)}
    return {key: None if value is None else str(value) for key, value in variables.items()}


def mounts(service: dict) -> set[str]:
    """`source:target` for each volume, from the short or the long syntax."""
    pairs = set()
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            pairs.add(f"{volume.get('source')}:{volume['target']}")
        else:
            pairs.add(":".join(volume.split(":")[:2]))
    return pairs


def required_from_environment(value: str | None, name: str) -> bool:
    """True for `${NAME:?message}`: taken from the environment or .env, and compose refuses to start without it."""
    return bool(value) and re.fullmatch(rf"\$\{{{name}:\?[^}}]*\}}", value) is not None


def test_the_production_services_are_all_defined(services):
    assert {"db", "redis", *APP_SERVICES} <= services.keys()


def test_the_app_services_are_built_from_the_project_dockerfile(services):
    assert set(app_services(services)) >= APP_SERVICES
    for name, service in app_services(services).items():
        build = service["build"] if isinstance(service["build"], dict) else {"context": service["build"]}
        assert build["context"] in (".", "./"), name
        assert build.get("dockerfile", "Dockerfile") == "Dockerfile", name


def test_every_app_service_command_is_exec_form_and_would_start(services):
    # Exec form (a list) runs the program as PID 1, so `docker compose stop` reaches it as SIGTERM.
    for name, service in app_services(services).items():
        assert isinstance(service.get("command"), list), f"{name}: give the command as a list"
    problems = {name: command_problems(service["command"]) for name, service in app_services(services).items()}
    assert problems == {name: [] for name in problems}


def test_every_celery_queue_has_a_worker_consuming_it(services):
    # Tasks routed to a queue nobody consumes would wait forever without an error anywhere.
    consumed = {name for service in app_services(services).values() for name in queues(service["command"])}
    assert queue_names(find_app("crbn_portal")) <= consumed


def test_the_web_service_runs_gunicorn_and_publishes_port_8000(services):
    assert services["web"]["command"][0] == "gunicorn"
    assert "0.0.0.0:8000" in services["web"]["command"]
    assert any(str(port).endswith(":8000") for port in services["web"]["ports"])


def test_app_services_run_in_production_mode_with_secrets_from_the_environment(services):
    for name, service in app_services(services).items():
        variables = environment(service)
        assert variables.get("DJANGO_ENV") == "production", name
        for key in ("SECRET_KEY", "ALLOWED_HOSTS"):
            assert required_from_environment(variables.get(key), key), f"{name}: {key}={variables.get(key)!r}"


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("${SECRET_KEY:?set SECRET_KEY}", True),
        ("${SECRET_KEY:?}", True),
        ("changeme", False),
        ("${SECRET_KEY}", False),
        ("${SECRET_KEY:-insecure-default}", False),
        ("${OTHER_KEY:?set it}", False),
        (None, False),
    ],
)
def test_only_a_required_interpolation_counts_as_taken_from_the_environment(value, accepted):
    assert required_from_environment(value, "SECRET_KEY") is accepted


def test_web_and_both_workers_share_the_named_media_volume_at_media_root(compose, services):
    assert "media" in (compose.get("volumes") or {}), "media must be a named volume, shared and kept across restarts"
    for name in ("web", *WORKERS):
        media_root = environment(services[name])["MEDIA_ROOT"]
        assert f"media:{media_root}" in mounts(services[name]), name


def test_web_and_workers_wait_for_healthy_services_and_finished_migrations(services):
    expected = {"db": "service_healthy", "redis": "service_healthy", "migrate": "service_completed_successfully"}
    for name in ("web", *WORKERS):
        conditions = {dependency: spec.get("condition") for dependency, spec in services[name]["depends_on"].items()}
        assert conditions == expected, name


def test_db_and_redis_report_their_health_and_keep_data_in_named_volumes(services):
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert any(mount.endswith(":/var/lib/postgresql/data") for mount in mounts(services["db"]))


def test_redis_keeps_queued_tasks_across_a_crash(services):
    """Snapshots alone lose what was queued since the last one; the append-only file keeps it."""
    assert services["redis"]["command"][:3] == ["redis-server", "--appendonly", "yes"]
    assert any(mount.endswith(":/data") for mount in mounts(services["redis"]))


def test_workers_can_be_scaled_because_they_claim_no_fixed_name_or_host_port(services):
    for name in WORKERS:
        assert "container_name" not in services[name], name
        assert "ports" not in services[name], name


# --- Dockerfile and .dockerignore -------------------------------------------------------------------------------


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; comment lines dropped first, as Docker does even inside a continuation."""
    lines = [line for line in dockerfile.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = [line.strip().partition(" ") for line in joined.splitlines() if line.strip()]
    return [(keyword.upper(), arguments.strip()) for keyword, _, arguments in pairs]


def arguments_of(dockerfile: str, wanted: str) -> list[str]:
    return [arguments for keyword, arguments in instructions(dockerfile) if keyword == wanted]


def baked_variables(dockerfile: str) -> set[str]:
    """Names that ENV or ARG keep in the image or its history, unlike `RUN NAME=value command`."""
    names = set()
    for keyword, arguments in instructions(dockerfile):
        if keyword not in ("ENV", "ARG"):
            continue
        tokens = shlex.split(arguments)
        if tokens and "=" not in tokens[0]:  # the legacy `ENV NAME value` and a bare `ARG NAME`
            names.add(tokens[0])
        else:
            names.update(token.partition("=")[0] for token in tokens)
    return names


def apt_packages(dockerfile: str) -> set[str]:
    packages = set()
    for arguments in arguments_of(dockerfile, "RUN"):
        for match in re.finditer(r"apt-get\s+install\s+([^&;|]*)", arguments):
            packages.update(word for word in match.group(1).split() if not word.startswith("-"))
    return packages


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text()


def test_the_image_has_weasyprints_libraries_including_harfbuzz_subset(dockerfile):
    assert {"libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"} <= apt_packages(dockerfile)


def test_the_image_never_bakes_a_secret_key_into_its_environment(dockerfile):
    assert "SECRET_KEY" not in baked_variables(dockerfile)


@pytest.mark.parametrize(
    ("dockerfile", "baked"),
    [
        ("ENV SECRET_KEY=abc", True),
        ("ENV SECRET_KEY abc", True),
        ('ENV PYTHONUNBUFFERED=1 \\\n    SECRET_KEY="two words"', True),
        ("ARG SECRET_KEY", True),
        ("RUN SECRET_KEY=build-only python manage.py collectstatic --noinput", False),
        ("ENV SECRET_KEY_FILE=/run/secrets/key", False),
    ],
)
def test_the_secret_key_check_tells_baked_keys_from_a_build_only_one(dockerfile, baked):
    assert ("SECRET_KEY" in baked_variables(dockerfile)) is baked


def test_the_package_check_ignores_packages_named_only_in_comments():
    dockerfile = "RUN apt-get install -y \\\n    # libharfbuzz-subset0 later\n    libpango-1.0-0 && rm -rf x"
    assert apt_packages(dockerfile) == {"libpango-1.0-0"}


def test_collectstatic_runs_in_production_mode_so_whitenoise_finds_its_manifest(dockerfile):
    # Development mode uses plain StaticFilesStorage and writes no staticfiles.json; production pages using
    # {% static %} would then fail with "Missing staticfiles manifest entry".
    runs = [arguments for arguments in arguments_of(dockerfile, "RUN") if "collectstatic" in arguments]
    assert runs
    assert all("DJANGO_ENV=production" in arguments for arguments in runs), runs


def test_the_image_runs_as_a_non_root_user(dockerfile):
    users = arguments_of(dockerfile, "USER")
    assert users
    assert users[-1].partition(":")[0] not in ("root", "0")


def test_the_images_default_command_would_start(dockerfile):
    commands = arguments_of(dockerfile, "CMD")
    assert commands
    assert command_problems(json.loads(commands[-1])) == []


def test_the_build_context_leaves_out_secrets_local_data_and_the_virtualenv():
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = {line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")}
    assert {".env", "var", ".venv", ".git"} <= patterns
