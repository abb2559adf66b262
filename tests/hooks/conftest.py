"""A real HTTP server on this machine receiving the signed posts, and the endpoints of
``company`` pointing at it (private addresses allowed, as in a test only)."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from porto.hooks.events import EVENT_TYPES
from porto.hooks.services import endpoint_create
from tests.factories import make_client, make_company, make_finalized


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """Answers each POST with the next status of ``answers`` (the last one repeats)."""

    answers: list[int] = field(default_factory=lambda: [204])
    received: list[Received] = field(default_factory=list)
    hang: threading.Event | None = None  # set: each request waits until it is released
    url: str = ""

    def answer(self) -> int:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode()
            receiver.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            if receiver.hang is not None:
                receiver.hang.wait()
            self.send_response(receiver.answer())
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format, *args) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = True
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/porto-events"
    yield state
    if state.hang is not None:
        state.hang.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def company(db):
    return make_company("Acme BV", slug="acme-bv", default_language="nl")


@pytest.fixture
def client_fr(company):
    return make_client(
        company, language="fr", name="Café Élysée SPRL", emails=("compta@cafe-elysee.example",)
    )


@pytest.fixture
def endpoint(company, receiver):
    return endpoint_create(
        company, url=receiver.url, description="Bookkeeping", event_types=list(EVENT_TYPES)
    )


@pytest.fixture
def invoice(company, client_fr, endpoint):
    """Finalized after the endpoint exists: its document.finalized message is waiting."""
    return make_finalized(company, client_fr, lines=[("2", "150", "S", "21")])


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
