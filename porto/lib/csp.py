"""Content-Security-Policy for every HTML page, in every environment (DEBUG included).

No page runs inline script: behaviour lives in ``static/porto/*.js`` (data attributes and
listeners) and styles in the stylesheet, so ``script-src 'self'`` holds and an injected
``<script>`` or ``onclick=`` is dead text. One inline ``<style>`` is allowed by a per-request
nonce: the email text preview's ``srcdoc`` iframe inherits this page's policy and styles its
body with a nonced ``<style>`` (``request.csp_nonce``).

A view that sets its own ``Content-Security-Policy`` keeps it (the sandbox email view, the
downloads). Only HTML gets a policy: a PDF shown in the document page's iframe is rendered by
the browser's viewer, which a page policy (``object-src 'none'``) would block.

The API docs page (``/api/docs/``, Swagger UI from the sidecar package) is drf-spectacular's
split view: its start script is a file too, but its template has an inline ``<style>`` and
Swagger UI styles what it draws, so that one path allows inline styles (never inline script).
"""

import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def page_policy(nonce: str, ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


API_DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
API_DOCS_PATH = "/api/docs/"


def frame_ancestors(response: HttpResponse) -> str:
    """'self' for a view that allows its own origin to frame it (X-Frame-Options SAMEORIGIN)."""
    if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
        return "'self'"
    return "'none'"


def policy_for(request: HttpRequest, response: HttpResponse, nonce: str) -> str:
    if request.path == API_DOCS_PATH:
        return API_DOCS_POLICY
    return page_policy(nonce, frame_ancestors(response))


def is_html(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"


class ContentSecurityPolicyMiddleware:
    """Sends the policy on every HTML response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if HEADER not in response and is_html(response):
            response[HEADER] = policy_for(request, response, nonce)
        return response
