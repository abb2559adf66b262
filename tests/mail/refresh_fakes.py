"""A fake HTTP layer for the status clients: one ``requests.Session`` seam, answers from
files shaped like each provider's documented responses."""

import json
from pathlib import Path

import requests

ANSWERS = Path(__file__).parent / "status_api"


def answer(name: str) -> dict:
    return json.loads((ANSWERS / name).read_text())


class FakeResponse:
    def __init__(self, status_code: int, body) -> None:
        self.status_code = status_code
        self.body = body

    def json(self):
        if isinstance(self.body, str):
            raise ValueError("not JSON")
        return self.body


class FakeSession(requests.Session):
    """Answers by (method, URL); records every request."""

    def __init__(self, routes: dict[tuple[str, str], tuple[int, object]]) -> None:
        super().__init__()
        self.routes = routes
        self.calls: list[dict] = []

    def request(self, method, url, **kwargs):  # type: ignore[override]
        self.calls.append({"method": method, "url": url, **kwargs})
        if (method, url) not in self.routes:
            return FakeResponse(404, {"Message": "not found"})
        status, body = self.routes[(method, url)]
        return FakeResponse(status, body)


class NoWait:
    """A rate limiter that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.calls = 0

    def wait(self) -> float:
        self.calls += 1
        return 0.0
