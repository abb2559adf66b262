"""The Content-Security-Policy middleware (porto/lib/csp.py): every HTML page gets a policy
that allows no inline script, in DEBUG too; a view's own policy and non-HTML answers are left
alone; a view framed by our own pages allows its own origin as frame ancestor."""

import re

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import reverse

from porto.lib.csp import ContentSecurityPolicyMiddleware


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("debug", [True, False])
def test_a_page_allows_scripts_only_from_our_own_files(client, db, settings, debug):
    settings.DEBUG = debug
    response = client.get(reverse("login"))
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{22}'", policy["style-src"])
    assert response["X-Frame-Options"] == "DENY"


def test_each_request_gets_its_own_style_nonce(client, db):
    first = client.get(reverse("login"))["Content-Security-Policy"]
    second = client.get(reverse("login"))["Content-Security-Policy"]
    assert directives(first)["style-src"] != directives(second)["style-src"]


def run(response: HttpResponse, path: str = "/somewhere/") -> HttpResponse:
    request = RequestFactory().get(path)
    return ContentSecurityPolicyMiddleware(lambda request: response)(request)


def test_a_view_framed_by_our_own_pages_allows_its_own_origin():
    framed = HttpResponse("<p>mail</p>")
    framed["X-Frame-Options"] = "SAMEORIGIN"
    assert directives(run(framed)["Content-Security-Policy"])["frame-ancestors"] == "'self'"


def test_a_views_own_policy_is_kept():
    own = HttpResponse("<p>mail</p>")
    own["Content-Security-Policy"] = "sandbox; default-src 'none'"
    assert run(own)["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_answers_that_are_not_html_get_no_policy():
    pdf = HttpResponse(b"%PDF-1.7", content_type="application/pdf")
    assert "Content-Security-Policy" not in run(pdf)
    assert "Content-Security-Policy" not in run(JsonResponse({"ok": True}))


def test_the_api_docs_load_their_start_script_from_a_file_and_allow_only_inline_styles(client, db):
    page = client.get(reverse("api_docs"))
    policy = directives(page["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    html = page.content.decode()
    assert not re.search(r"<script>", html)
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
