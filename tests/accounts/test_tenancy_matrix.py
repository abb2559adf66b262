"""The tenancy matrix: every route of the URL resolver (the pages, the API under /api/v1/, the
public tracking URLs and every admin page: each registered model's changelist, add, change,
delete and history, and the admin's own pages), opened by four people:

- the **owner** of the company reaches every page of its objects;
- a **member** reaches them too, except the pages only an owner may open
  (``OWNER_ONLY_ROUTES``), which answer what the view decides (403 or 404);
- **outsider staff** (``is_staff``, every admin permission, owner of another company) gets 404
  on every page and API route of the company's objects, sees only its own company on pages
  without an object, and in the admin never opens the company's rows;
- **anonymous** is sent to the login page (the app's, or the admin's), gets 401 from the API.

Outsider staff and anonymous never see the company's data: its names are absent from every
answer (body and redirect). The rules come from ``test_tenancy.py`` (``OBJECT_OF_ROUTE``,
``PAGES_WITHOUT_OBJECT``, ``ROUTES_WITHOUT_COMPANY_OBJECTS``, ``OWNER_ONLY_ROUTES``,
``PUBLIC_ROUTES``) and from the admin registry (``test_admin_tenancy.py``): a new route without
a rule fails ``test_every_route_has_a_rule`` with the place to add one.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db.models import Model
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.timezone import now
from django_tasks_db.models import DBTaskResult

from porto.accounts.admin import SuperuserOnlyAdmin
from porto.accounts.models import Company
from porto.clients.models import Client
from tests.accounts.test_admin_tenancy import company_rows
from tests.accounts.test_tenancy import (
    FIRST,
    HEALTH_PROBES,
    OBJECT_OF_ROUTE,
    OWNER_ONLY_ROUTES,
    PAGES_WITHOUT_OBJECT,
    PUBLIC_ROUTES,
    ROUTES_WITHOUT_COMPANY_OBJECTS,
    objects_of,
)
from tests.factories import make_user

pytestmark = pytest.mark.django_db

COMPANY_NAME = "Secret Company BV"
# Words only the company's data holds: none may reach outsider staff or anonymous.
SECRETS = (b"Secret Client", b"Secret Company", b"secret.example")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)  # one transparent pixel
ROLES = ("owner", "member", "outsider_staff", "anonymous")
ADMIN_MODEL_ROUTE = re.compile(r"^admin/(\w+)/(\w+)/")
ADMIN_OBJECT_VIEWS = ("change", "delete", "history", "object")
ADMIN_PAGES = {  # the admin's own pages, beside the models' (how each is filled below)
    "index",
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "autocomplete",
    "jsi18n",
    "view_on_site",
    "app_list",
    "catch_all",
}
# What the walk sends where a route needs more than its URL to show its page.
QUERY_OF_ROUTE = {"email_text_new": "?kind=invoice&language=nl"}
RULES_AT = (
    "tests/accounts/test_tenancy.py: OBJECT_OF_ROUTE (a page of an object), PAGES_WITHOUT_OBJECT "
    "(the current company's page), ROUTES_WITHOUT_COMPANY_OBJECTS (public, say why), "
    "OWNER_ONLY_ROUTES (members refused) or PUBLIC_ROUTES"
)


@dataclass(frozen=True)
class Route:
    namespace: str  # "" for the app, "admin"
    pattern: str
    name: str  # the URL name; admin model routes: "<app>_<model>_<view>"

    @property
    def is_admin(self) -> bool:
        return self.namespace == "admin"

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")


def all_routes(resolver=None, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            yield from all_routes(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            yield Route(namespace, pattern, entry.name or _unnamed(namespace, pattern))


def _unnamed(namespace: str, pattern: str) -> str:
    """Django's admin leaves two routes unnamed: a model's ``<id>/`` (a redirect to its change
    page) and the final catch-all."""
    if namespace == "admin" and pattern.endswith("<path:object_id>/"):
        return "object"
    if namespace == "admin" and pattern.endswith("(?P<url>.*)$"):
        return "catch_all"
    return ""


def admin_model(route: Route) -> type[Model] | None:
    found = ADMIN_MODEL_ROUTE.match(route.pattern)
    if not found:
        return None
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == found.groups():
            return model
    return None


def admin_view(route: Route) -> str:
    return route.name.rsplit("_", 1)[-1] if route.name != "object" else "object"


def rule_of(route: Route) -> str:
    """Which rule covers ``route``; "" when none does."""
    if route.is_admin:
        if admin_model(route) is not None:
            return "admin model"
        name = "app_list" if route.name == "app_list" else route.name
        return "admin page" if name in ADMIN_PAGES else ""
    if route.name in ROUTES_WITHOUT_COMPANY_OBJECTS:
        return "public object"
    if route.name in PUBLIC_ROUTES:
        return "public"
    if route.name in OBJECT_OF_ROUTE:
        return "object"
    if route.name in PAGES_WITHOUT_OBJECT:
        return "page"
    return ""


def test_every_route_has_a_rule():
    missing = [f"{r.pattern} ({r.name or 'no name'})" for r in all_routes() if not rule_of(r)]
    assert missing == [], f"routes without a tenancy rule; add each to {RULES_AT}: {missing}"


# --- Filling the routes -------------------------------------------------------------------------


def app_url(route: Route, objects: dict) -> str:
    path = route.pattern
    for param, source in OBJECT_OF_ROUTE.get(route.name, {}).items():
        if source == FIRST or (isinstance(source, str) and source not in objects):
            value = str(source)  # a position or a fixed value, e.g. a format
        else:
            value = str(objects[source].pk)
        path = re.sub(rf"<(\w+:)?{param}>", value, path)
    if route.name == "provider_webhook":
        path = path.replace("<str:provider>", "postmark").replace("<str:token>", "not-the-token")
    if route.name == "pixel":
        path = path.replace("<str:token>", "not-a-token")
    return "/" + path + QUERY_OF_ROUTE.get(route.name, "")


def admin_url(route: Route, rows: dict) -> str:
    path = route.pattern
    model = admin_model(route)
    if model is not None:
        path = path.replace("<path:object_id>", str(rows[model].pk))
    elif route.name == "view_on_site":
        content_type = ContentType.objects.get_for_model(Client)
        path = f"admin/r/{content_type.pk}/{rows[Client].pk}/"
    elif route.name == "app_list":
        path = "admin/clients/"
    elif route.name == "catch_all":
        path = "admin/no-such-page/"
    return "/" + path


@pytest.fixture
def theirs(company, settings) -> dict:
    """The company's objects behind every object page of the app and the API."""
    return objects_of(company, settings)


@pytest.fixture
def their_rows(company, theirs, owner, settings, tmp_path) -> dict:
    """A row of the company for every admin model; users, groups and task results too. The
    company has a logo, so its logo's page has something to show."""
    settings.MEDIA_ROOT = tmp_path / "media"
    company.name = COMPANY_NAME
    company.logo.save("logo.png", ContentFile(PNG), save=False)
    company.save()
    rows = company_rows(company, owner)
    superuser_only = [
        m for m, a in admin.site._registry.items() if isinstance(a, SuperuserOnlyAdmin)
    ]
    for model in superuser_only:
        rows[model] = model._default_manager.first() or _any_row(model, owner)
    return rows


def _any_row(model: type[Model], owner) -> Model:
    if model is DBTaskResult:
        from porto.mail.tasks import deliver_emails

        return DBTaskResult.objects.get(id=deliver_emails.enqueue([]).id)
    if model._meta.label == "auth.Group":
        return model._default_manager.create(name="Secret Company staff")
    if model._meta.label == "accounts.LoginFailure":
        return model._default_manager.create(username=owner.username, ip="192.0.2.7", at=now())
    return owner


# --- The people ---------------------------------------------------------------------------------


def browser_as(role: str, owner, teammate, other_company) -> HttpClient:
    browser = HttpClient()
    if role == "owner":
        browser.force_login(owner)
    elif role == "member":
        browser.force_login(teammate)
    elif role == "outsider_staff":
        staff = make_user(other_company, role="owner", username="outsider-staff")
        staff.is_staff = True
        staff.save()
        staff.user_permissions.set(Permission.objects.all())
        browser.force_login(staff)
    return browser


def walk_order(route: Route) -> tuple[bool, bool]:
    """Deletions come late, so the walk still finds each object before; logging out last."""
    return route.name == "logout", "delete" in route.name


def visit(browser: HttpClient, url: str, data: dict | None = None, **options):
    """GET, or POST where the route takes only POST (``data``, or a form without its fields)."""
    response = browser.get(url, **options)
    if response.status_code == 405:
        response = browser.post(url, data or {}, **options)
    return response


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def leaks(response) -> list[str]:
    seen = body_of(response) + response.get("Location", "").encode()
    return [secret.decode() for secret in SECRETS if secret in seen]


# --- The expected answers -----------------------------------------------------------------------


def reached(response) -> bool:
    """The page answered its owner: shown, done, or refused for the object's state (a form
    posted without fields, finalizing a finalized document) with the reason."""
    if response.status_code in (200, 201, 202, 204, 302):
        return True
    return response.status_code in (400, 409, 415, 422) and b"error" in body_of(response)


def app_problem(role: str, route: Route, response) -> str:
    status = response.status_code
    kind = rule_of(route)
    if route.name in HEALTH_PROBES:  # 503 says which check failed (no rules in the tests)
        return "" if status in (200, 503) and "checks" in response.json() else f"{status}"
    if kind in ("public", "public object"):
        return "" if status < 500 else f"{status}"
    if role == "owner" or (role == "member" and route.name not in OWNER_ONLY_ROUTES):
        return "" if reached(response) else f"{status}, not reached"
    if role == "member":
        expected = OWNER_ONLY_ROUTES[route.name]
        return "" if status == expected else f"{status}, expected {expected} (owners only)"
    if role == "anonymous":
        if route.is_api and route.name not in ("api_schema", "api_docs"):
            return "" if status in (401, 403) else f"{status}, expected 401"
        login = response.get("Location", "").startswith("/login/?next=")
        return "" if status == 302 and login else f"{status}, expected the login redirect"
    # outsider staff: no object of the company; pages show the staff member's own company.
    if kind == "object":
        return "" if status == 404 else f"{status}, expected 404"
    return "" if status < 500 else f"{status}"


def admin_problem(role: str, route: Route, response) -> str:
    status = response.status_code
    if route.name in ("login", "logout"):
        return "" if status < 500 else f"{status}"
    if role != "outsider_staff":  # not staff: the admin's login page, whatever the URL
        login = response.get("Location", "").startswith("/admin/login/")
        return "" if status == 302 and login else f"{status}, expected the admin login redirect"
    model = admin_model(route)
    if model is not None and isinstance(admin.site._registry[model], SuperuserOnlyAdmin):
        return "" if status == 403 else f"{status}, expected 403 (superusers only)"
    if model is not None and admin_view(route) in ADMIN_OBJECT_VIEWS:
        # Not found in the staff member's companies: Django redirects to the admin index; a
        # page the model allows nobody (deleting a number series) is refused before.
        chain = getattr(response, "redirect_chain", [])
        at_index = bool(chain) and chain[-1][0] == "/admin/"
        return "" if status == 403 or at_index else f"{status} {chain}, expected not found"
    return "" if status < 500 else f"{status}"


# --- The matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_its_rule_says(
    role,
    owner,
    teammate,
    other_company,
    theirs,
    their_rows,
):
    browser = browser_as(role, owner, teammate, other_company)
    routes = sorted(all_routes(), key=walk_order)
    problems = []
    for route in routes:
        if route.is_admin:
            url = admin_url(route, their_rows)
            response = visit(browser, url, follow=role == "outsider_staff")
            problem = admin_problem(role, route, response)
        else:
            url = app_url(route, theirs)
            data = {"company": their_rows[Company].pk} if route.name == "company_switch" else None
            response = visit(browser, url, data)
            problem = app_problem(role, route, response)
        if role in ("outsider_staff", "anonymous") and leaks(response):
            problem = f"{problem} shows {leaks(response)}".strip()
        if problem:
            problems.append(f"{url} ({route.name}): {problem}")
    print(f"\ntenancy matrix: {len(routes)} routes as {role}")
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_the_api_the_admin_and_the_pages():
    routes = list(all_routes())
    api = [r for r in routes if r.pattern.startswith("api/v1/")]
    admin_models = {admin_model(r) for r in routes if r.is_admin} - {None}
    assert len(api) >= 20
    assert admin_models == set(admin.site._registry)
    for model in admin_models:
        views = {admin_view(r) for r in routes if admin_model(r) is model}
        assert {"changelist", "add", "change", "delete", "history"} <= views, model
    print(f"\ntenancy matrix: {len(routes)} routes x {len(ROLES)} roles = {len(routes) * 4}")
