"""One signed POST to an endpoint, connected to the address ``ssrf`` checked (never to
whatever the name resolves to a moment later)."""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

from porto.hooks.ssrf import Target, UnsafeURL, target_checked

USER_AGENT = "Porto-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status_code: int | None = None
    error: str = ""  # a WebhookAttempt.Error value
    detail: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def post(url: str, body: str, headers: dict[str, str]) -> Answer:
    """POST within ``PORTO_WEBHOOKS_TIMEOUT`` seconds (to connect, and for each read)."""
    timeout = settings.PORTO_WEBHOOKS_TIMEOUT
    started = time.monotonic()
    try:
        target = target_checked(url)
    except UnsafeURL:
        return Answer(error="unsafe_url", duration_ms=_ms_since(started))
    connection_class = PinnedHTTPSConnection if target.scheme == "https" else PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST", target.path, body=body.encode(), headers=headers | {"user-agent": USER_AGENT}
        )
        response = connection.getresponse()
        response.read(64 * 1024)  # the answer's body is not used; read a little to finish
        return Answer(status_code=response.status, duration_ms=_ms_since(started))
    except TimeoutError as error:
        return Answer(error="timeout", detail=str(error)[:300], duration_ms=_ms_since(started))
    except (OSError, http.client.HTTPException) as error:
        detail = str(error) or type(error).__name__
        return Answer(error="connection", detail=detail[:300], duration_ms=_ms_since(started))
    finally:
        connection.close()


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
