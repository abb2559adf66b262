"""Provider webhook events -> Porto events: the one entry point.

    events = webhook_events_classify("postmark", request)   # or from a stored request
    for item in events:
        record_event(source=item.source, event=item.event, message_id=item.message_id,
                     recipient=item.recipient, provider_event_id=item.provider_event_id,
                     payload=item.payload)

anymail's own parsing code reads the request (the views' ``parse_events``); each provider's
``porto/mail/providers/<name>/webhook.py`` reads what anymail leaves in ``esp_event``.
Anything unreadable raises ``ClassificationError`` with a clear message, never another
exception.
"""

import io
from collections.abc import Mapping

from anymail.exceptions import AnymailError
from anymail.signals import AnymailTrackingEvent
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest

from porto.mail.providers import PROVIDERS, UnknownProvider
from porto.mail.providers import provider_get as registry_get
from porto.mail.providers.base.webhook import (
    ClassificationError,
    ClassifiedEvent,
    WebhookParser,
    provider_event_id,
)

__all__ = [
    "PROVIDERS",
    "ClassificationError",
    "ClassifiedEvent",
    "classify",
    "held_detail",
    "provider_event_id",
    "request_rebuild",
    "tracking_events_parse",
    "webhook_events_classify",
]

# What anymail's parsing may raise on malformed input (it trusts the provider's shape).
_PARSE_ERRORS = (
    AnymailError,
    ImproperlyConfigured,  # anymail's "inbound posted to the tracking URL" errors
    ValueError,  # bad JSON, bad numbers, bad dates
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OverflowError,
    OSError,  # datetime.fromtimestamp() out of the platform's range
    UnicodeDecodeError,
)


def provider_get(name: str) -> WebhookParser:
    try:
        return registry_get(name).parser
    except UnknownProvider as error:
        raise ClassificationError(error.args[0]) from None


def tracking_events_parse(name: str, request: HttpRequest) -> list[AnymailTrackingEvent]:
    """anymail's parsing of an (already authenticated) tracking webhook request."""
    provider = provider_get(name)
    # Parsing only: authentication already ran in the web request, so the view's __init__
    # (signing keys, boto3 clients, warnings) is not needed to read the body.
    view = object.__new__(provider.view_class)
    try:
        events = view.parse_events(request)
    except _PARSE_ERRORS as error:
        raise ClassificationError(
            f"The {provider.label} webhook body could not be read ({type(error).__name__}: "
            f"{error}). Check that the webhook URL is the tracking one for {provider.label}."
        ) from error
    return [event for event in events if isinstance(event, AnymailTrackingEvent)]


def classify(tracking: AnymailTrackingEvent, provider: str) -> list[ClassifiedEvent]:
    """Porto's events for one anymail tracking event (none when it says nothing useful)."""
    chosen = provider_get(provider)
    try:
        return chosen.classify(tracking)
    except ClassificationError:
        raise
    except _PARSE_ERRORS as error:
        raise ClassificationError(
            f"The {chosen.label} event is malformed ({type(error).__name__}: {error})."
        ) from error


def held_detail(source: str, payload: Mapping) -> str | None:
    """The provider's words when a stored event says it held the email instead of sending it,
    else None. Postal holds a message for an address on its suppression list (and for its hold
    rules); anymail calls that "queued", so only the raw event tells."""
    if source != "postal" or payload.get("event") != "MessageHeld":
        return None
    detail = payload.get("payload")
    return str(detail.get("details") or "") if isinstance(detail, Mapping) else ""


def webhook_events_classify(name: str, request: HttpRequest) -> list[ClassifiedEvent]:
    return [
        item for event in tracking_events_parse(name, request) for item in classify(event, name)
    ]


def request_rebuild(body: bytes, headers: Mapping[str, str], path: str = "/") -> HttpRequest:
    """A POST request like the stored one, for parsing in a worker."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":  # the body decides its length
            environ[f"HTTP_{key}"] = value
    return WSGIRequest(environ)
