"""Talking to the API as an integrator does: a company's token in the Authorization header,
JSON bodies. ``api`` is the owner company's token; ``outsider_api`` another company's."""

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient

from porto.api.services import token_create


def meta_name(header: str) -> str:
    """``Idempotency-Key`` → ``HTTP_IDEMPOTENCY_KEY`` (names already in that form are kept)."""
    name = header.upper().replace("-", "_")
    return name if name.startswith("HTTP_") else f"HTTP_{name}"


@dataclass
class Api:
    http: HttpClient
    secret: str | None

    def headers(self, extra: dict) -> dict:
        auth = {"HTTP_AUTHORIZATION": f"Bearer {self.secret}"} if self.secret else {}
        return auth | {meta_name(name): value for name, value in extra.items()}

    def get(self, path: str, params: dict | None = None, **headers):
        return self.http.get(path, params or {}, **self.headers(headers))

    def send(self, method: str, path: str, body=None, **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body or {})
        call = getattr(self.http, method.lower())
        return call(path, data, content_type="application/json", **self.headers(headers))

    def post(self, path: str, body=None, **headers):
        return self.send("post", path, body, **headers)

    def patch(self, path: str, body=None, **headers):
        return self.send("patch", path, body, **headers)

    def delete(self, path: str, **headers):
        return self.http.delete(path, **self.headers(headers))


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counts():
    """The throttle counts in the cache; each test starts at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def token(company, owner):
    return token_create(company, owner, "Webshop")


@pytest.fixture
def api(token):
    return Api(HttpClient(), token.secret)


@pytest.fixture
def outsider_api(other_company, outsider):
    return Api(HttpClient(), token_create(other_company, outsider, "Theirs").secret)


@pytest.fixture
def anonymous_api():
    return Api(HttpClient(), None)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
