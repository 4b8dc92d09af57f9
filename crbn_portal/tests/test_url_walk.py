"""Every URL of the portal, HTML and API, walked for every persona against two institutions.

The routes come from the URL resolver, so a page or endpoint added later is walked without touching this file.
The demo cohort supplies the data: its two institutions (A: Northbridge, B: Lakeshore) and one login per role at
each. A UUID in a route is filled by probing, as the superuser, the stored objects until one is found (not 404);
the same kind of object is then taken from institution A. A route the walk cannot fill fails the test unless it
is listed in NOT_WALKED with the reason.

What must hold:
- anonymous visitors are sent to log in (or refused, for the API) on every route but the PUBLIC ones;
- institution A's people get 404 for institution B's objects, or exactly what a UUID nobody holds gets (no oracle);
- researchers get the same for institution A's patient data; roles that only read are refused every write;
- no page anyone may open names one of institution B's records (UUID, study ID, MRN, accession);
- nothing answers with a server error.
"""

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models, transaction
from django.http import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import UUIDConverter

from crbn_portal.roles import ROLE_PERMISSIONS, Role
from crbn_portal.tokens import token_create
from patients import demo
from patients.models import Institution, Membership, Patient, Sample
from reports.board_services import agenda_add, meeting_create, packet_export
from rules.services import release_activate, release_load_draft

pytestmark = pytest.mark.django_db

# Route prefixes the walk does not fill, each with the reason.
NOT_WALKED = {
    "account/tokens/<": "an API token is its owner's alone, so not even the superuser can probe one; the token "
    "pages' own tests open another user's token",
    "api/v1/alterations/structural-variants/<": "the demo cohort holds no structural variant (the same alteration "
    "viewset is walked for small variants and copy-number segments)",
    "api/v1/alterations/junctions/<": "the demo cohort holds no splice junction (same viewset as above)",
    "api/v1/alterations/expression/<": "the demo cohort holds no expression row (same viewset as above)",
    "api/v1/alterations/fusions/<": "the demo cohort holds no fusion (same viewset as above)",
    "admin/": "Django admin: staff only, with its own permission checks; its lists go through the chokepoint "
    "(crbn_portal.admin.ScopedAdmin) and its object ids are integers",
}
# Routes anonymous visitors may open, each with the reason.
PUBLIC = {
    "api/schema/": "the API's description (no data), public as the API serves it",
    "api/docs/": "the API's interactive documentation (no data), public as the API serves it",
    "": "redirects to the patient list, which asks for a login",
    "accounts/login/": "the login form",
    "accounts/logout/": "logging out asks for no login",
}
METHODS = ("get", "post")
ROWS_PER_MODEL = 6  # enough to reach each workflow state of the demo's reports


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    params: tuple[str, ...]  # parameters that name a stored object (filled with UUIDs)
    fixed: tuple[tuple[str, str], ...] = ()  # other parameters with a value the walk knows

    def url(self, values: tuple[str, ...]) -> str:
        return reverse(self.name, kwargs={**dict(zip(self.params, values, strict=True)), **dict(self.fixed)})


@dataclass
class Walk:
    routes: list[Route] = field(default_factory=list)
    unfillable: list[str] = field(default_factory=list)
    b_fill: dict[Route, tuple[str, ...]] = field(default_factory=dict)
    a_fill: dict[Route, tuple[str, ...]] = field(default_factory=dict)
    patient_derived: set[Route] = field(default_factory=set)


# --- the routes --------------------------------------------------------------------------------------------------


def walk_resolver(resolver: URLResolver, prefix: str = "", namespace: str = "", converters=None) -> Iterator:
    """(route text, full name, converters by parameter, regex group names) of every leaf pattern."""
    for entry in resolver.url_patterns:
        text = prefix + str(entry.pattern)
        found = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk_resolver(entry, text, inner, found)
        elif isinstance(entry, URLPattern):
            groups = tuple(entry.pattern.regex.groupindex)
            yield text, f"{namespace}{entry.name}" if entry.name else "", found, groups


def route_of(text: str, name: str, converters: dict, groups: tuple[str, ...]) -> Route | None:
    """A Route, or None when a parameter is of a kind the walk cannot fill (or the pattern has no name)."""
    names = set(groups) | set(converters)
    fixed = (("format", "json"),) if "format" in names else ()  # the API's format suffix
    params = tuple(sorted(names - {"format"}))
    uuid_like = all(isinstance(converters[p], UUIDConverter) if p in converters else True for p in params)
    return Route(text, name, params, fixed) if name and uuid_like else None


def all_routes() -> tuple[list[Route], list[str]]:
    routes, unfillable = [], []
    for text, name, converters, groups in walk_resolver(get_resolver()):
        if any(text.startswith(prefix) for prefix in NOT_WALKED if prefix):
            continue
        route = route_of(text, name, converters, groups)
        (routes.append(route) if route else unfillable.append(f"{text} (name {name!r}): parameters {groups}"))
    return routes, unfillable


# --- the data ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    a: dict[str, object]  # role -> user at institution A
    superuser: object
    inst_a: Institution
    inst_b: Institution


def seed_people() -> People:
    call_command("seed_demo", "--patients-per-institution", "12", stdout=io.StringIO())
    inst_a, inst_b = Institution.objects.get(code="NBH"), Institution.objects.get(code="LCC")
    members = Membership.objects.filter(institution=inst_a).select_related("user")
    superuser = type(members[0].user).objects.get(username=demo.SUPERUSER_USERNAME)
    people = People({m.role: m.user for m in members}, superuser, inst_a, inst_b)
    add_what_the_demo_lacks(people)
    return people


def add_what_the_demo_lacks(people: People) -> None:
    """Objects the demo cohort does not make, so their routes are walked too: a knowledge-base release with its
    re-assessment run, an API token and a tumour-board meeting (agenda item, packet) at each institution."""
    release = release_load_draft(by=people.superuser)
    release_activate(release=release, by=people.superuser)
    for institution in (people.inst_a, people.inst_b):
        member = Membership.objects.filter(institution=institution, role=Role.CLINICIAN).first().user
        token_create(user=member, institution=institution, name="Lab system")
        meeting = meeting_create(
            institution=institution, date=date(2026, 1, 5), title="Myeloma board", attendees="", by=people.superuser
        )
        agenda_add(meeting=meeting, patient=institution.patients.first(), question="Next line?", by=people.superuser)
        packet_export(meeting=meeting, by=people.superuser)


def uuid_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if any(f.name == "uuid" for f in m._meta.fields)]


def scoped(model: type[models.Model]) -> bool:
    return hasattr(model._default_manager.all(), "visible_to")


def pools(people: People) -> tuple[dict, dict]:
    """Candidate rows by model: institution B's (invisible to A's people) and A's (or shared, when unscoped)."""
    clinician_a = people.a[Role.CLINICIAN]
    pool_a, pool_b = {}, {}
    for model in uuid_models():
        rows = model._default_manager.order_by("pk")
        if scoped(model):
            seen_by_a = rows.visible_to(clinician_a)
            pool_b[model] = list(rows.exclude(pk__in=seen_by_a.values("pk"))[:ROWS_PER_MODEL])
            pool_a[model] = list(seen_by_a[:ROWS_PER_MODEL])
        else:
            pool_a[model] = pool_b[model] = list(rows[:ROWS_PER_MODEL])
    return pool_a, pool_b


def fingerprints_of_b(people: People, pool_b: dict) -> set[str]:
    """Strings that name one of institution B's records; none may appear on a page A's people open."""
    prints = {str(row.uuid) for model, rows in pool_b.items() if scoped(model) for row in rows}
    patients = Patient.objects.filter(institution=people.inst_b)
    prints |= set(patients.values_list("study_id", flat=True)) | set(patients.values_list("mrn", flat=True))
    prints |= set(Sample.objects.filter(institution=people.inst_b).values_list("accession", flat=True))
    return prints - {""}


# --- requests ----------------------------------------------------------------------------------------------------


def request(client: Client, method: str, url: str) -> HttpResponseBase:
    """One request; a POST's writes are rolled back, so the walk never changes what it walks."""
    with transaction.atomic():
        response = getattr(client, method)(url)
        transaction.set_rollback(True)
    return response


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def found(client: Client, url: str) -> bool:
    status = request(client, "get", url).status_code
    return status != 404 and (status != 405 or request(client, "post", url).status_code != 404)


def relevance(route: Route, model: type[models.Model]) -> int:
    """Probe first the models whose name appears in the route (only speeds the walk up)."""
    return 0 if model._meta.model_name.replace("variant", "") in route.route else 1


def related_pairs(pool: dict) -> Iterator[tuple[models.Model, models.Model]]:
    """Two objects where one points to the other (a sample and its file): what two-UUID routes name."""
    for rows in pool.values():
        for row in rows:
            for parent_field in row._meta.concrete_fields:
                parent = getattr(row, parent_field.name) if parent_field.many_to_one else None
                if parent is not None and hasattr(parent, "uuid"):
                    yield parent, row
                    yield row, parent


def candidates(route: Route, pool: dict) -> Iterator[tuple[models.Model, ...]]:
    if len(route.params) == 1:
        for model in sorted(pool, key=lambda model: relevance(route, model)):
            yield from ((row,) for row in pool[model])
    elif len(route.params) == 2:
        yield from related_pairs(pool)


def fill(route: Route, pool: dict, superuser_client: Client, kinds: tuple | None = None) -> tuple | None:
    """Objects that make the route find them, probed as the superuser (who sees everything); with kinds, only
    objects of those models."""
    for rows in candidates(route, pool):
        if kinds is not None and tuple(type(row) for row in rows) != kinds:
            continue
        if found(superuser_client, route.url(uuids(rows))):
            return rows
    return None


def uuids(rows: tuple) -> tuple[str, ...]:
    return tuple(str(row.uuid) for row in rows)


def build_walk(people: People, pool_a: dict, pool_b: dict) -> Walk:
    walk = Walk()
    walk.routes, walk.unfillable = all_routes()
    root = client_for(people.superuser)
    for route in walk.routes:
        if not route.params:
            continue
        b_rows = fill(route, pool_b, root)
        if b_rows is None:
            walk.unfillable.append(f"{route.route} (name {route.name!r}): no stored object makes it answer")
            continue
        kinds = tuple(type(row) for row in b_rows)
        walk.b_fill[route] = uuids(b_rows)
        walk.a_fill[route] = uuids(fill(route, pool_a, root, kinds) or ())
        if any(scoped(kind) for kind in kinds):
            walk.patient_derived.add(route)
    return walk


# --- the checks --------------------------------------------------------------------------------------------------


def read_only(role: str) -> bool:
    return all(".view_" in permission for permission in ROLE_PERMISSIONS.get(role, []))


def anonymous_problems(walk: Walk) -> Iterator[str]:
    login = resolve_url(settings.LOGIN_URL)
    client = client_for(None)
    for route in walk.routes:
        if route.route in PUBLIC or (route.params and route not in walk.b_fill):
            continue
        url = route.url(walk.b_fill.get(route, ()))
        for method in METHODS:
            response = request(client, method, url)
            sent_to_login = response.status_code == 302 and response["Location"].startswith(login)
            if not (sent_to_login or response.status_code in (401, 403, 405)):
                yield f"anonymous {method.upper()} {url}: {response.status_code}"


def reveals(client: Client, method: str, route: Route, values: tuple[str, ...]) -> int | None:
    """The status, when it is neither 404 nor what a UUID nobody holds gets (the answer tells the object exists)."""
    status = request(client, method, route.url(values)).status_code
    nobody = route.url(tuple(str(uuid.uuid4()) for _ in route.params))
    return None if status == 404 or status == request(client, method, nobody).status_code else status


def other_institution_problems(walk: Walk, people: People) -> Iterator[str]:
    for role, user in people.a.items():
        client = client_for(user)
        for route in walk.patient_derived:
            for method in METHODS:
                if status := reveals(client, method, route, walk.b_fill[route]):
                    yield f"{role} of A {method.upper()} {route.url(walk.b_fill[route])}: {status}, not 404"


def role_problems(walk: Walk, people: People) -> Iterator[str]:
    for role, user in people.a.items():
        client = client_for(user)
        for route, values in walk.a_fill.items():
            if not values:
                continue
            url = route.url(values)
            researcher_reads = role == Role.RESEARCHER and route in walk.patient_derived
            if researcher_reads and (status := reveals(client, "get", route, values)):
                yield f"researcher GET {url}: {status}, not 404"
            if read_only(role):
                status = request(client, "post", url).status_code
                if status not in (403, 404, 405):
                    yield f"{role} (reads only) POST {url}: {status}, not 403"


def page_problems(walk: Walk, people: People, prints: set[str]) -> Iterator[str]:
    """Every page A's people can open: no server error, and no name of a record of institution B."""
    for role, user in [*people.a.items(), ("superuser", people.superuser)]:
        client = client_for(user)
        for route in walk.routes:
            if route.params and not walk.a_fill.get(route):
                continue
            url = route.url(walk.a_fill.get(route, ()))
            for method in METHODS:
                response = request(client, method, url)
                if response.status_code >= 500:
                    yield f"{role} {method.upper()} {url}: server error {response.status_code}"
                elif role != "superuser" and not response.streaming:
                    body = response.content.decode(errors="replace")
                    yield from (f"{role} {method.upper()} {url} names B's {p}" for p in prints if p in body)


def test_every_route_is_walked_for_every_persona_and_leaks_nothing(db):
    people = seed_people()
    pool_a, pool_b = pools(people)
    walk = build_walk(people, pool_a, pool_b)
    problems = [
        *(f"cannot fill {text}: list it in NOT_WALKED with the reason" for text in walk.unfillable),
        *anonymous_problems(walk),
        *other_institution_problems(walk, people),
        *role_problems(walk, people),
        *page_problems(walk, people, fingerprints_of_b(people, pool_b)),
    ]
    assert not problems, "\n".join(problems)
    assert len(walk.b_fill) >= 20, sorted(route.route for route in walk.b_fill)


def test_the_walk_covers_routes_from_every_app():
    names = {route.name.split(":")[0] for route in all_routes()[0]}
    assert {"patients", "variants", "report", "rules", "audit", "two_factor"} <= names


def test_every_listed_exception_still_names_a_route():
    texts = [text for text, *_ in walk_resolver(get_resolver())]
    for prefix in [*NOT_WALKED, *PUBLIC]:
        assert any(text.startswith(prefix) for text in texts), f"{prefix!r} no longer matches a route: remove it"
