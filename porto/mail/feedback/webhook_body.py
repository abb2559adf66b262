"""What a webhook body must be before anything reads it further or stores it.

Poison input must never reach the database or the worker: a lone surrogate cannot be stored
by SQLite's driver, a NUL not by PostgreSQL, a 300-character message id not in its column,
and a deeply nested body made anymail's parsers raise ``RecursionError`` (a 500). So, before
authentication and parsing:

- the body is at most ``PORTO_WEBHOOK_MAX_BODY_BYTES`` and strict UTF-8;
- a JSON body parses strictly: no ``NaN``/``Infinity``, no duplicate keys, at most
  ``MAX_DEPTH`` levels; no NUL and no lone surrogate in any key or string (JSON nested in
  a text, such as Amazon SNS's ``Message``, is checked the same way: the parser's
  ``nested_json``);
- a form body (Mailgun's legacy webhooks) decodes strictly, with no NUL;
- ids (message ids, event ids, tokens: ``ID_KEYS``, and the ``svix-id`` header) are text or
  whole numbers, at most ``MAX_ID_LENGTH`` printable ASCII characters.

Anything else raises ``WebhookBodyError`` with a plain reason: a 400, nothing stored.
"""

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest

from porto.mail.providers import provider_get

MAX_DEPTH = 32
MAX_ID_LENGTH = 200  # fits every id column and the delivery key
SANE_ID = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces
FORBIDDEN_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")
# JSON keys holding an id, compared lower-case without "-" and "_": MessageID, message-id,
# sg_message_id, sg_event_id, email_id, event_id, Message_GUID, token, id...
ID_KEYS = frozenset(
    {
        "id",
        "messageid",
        "sgmessageid",
        "sgeventid",
        "smtpid",
        "emailid",
        "eventid",
        "messageguid",
        "mjmessageid",
        "token",
    }
)
HEADER_IDS = ("svix-id", "webhook-id", "X-Amz-Sns-Message-Id")


class WebhookBodyError(ValueError):
    """The body is not something a provider sends: answer 400, store nothing."""


def _max_bytes() -> int:
    return int(getattr(settings, "PORTO_WEBHOOK_MAX_BODY_BYTES", 1024 * 1024))


def body_size_check(request: HttpRequest) -> None:
    """Refuse a body announced or found larger than allowed, before reading more of it."""
    limit = _max_bytes()
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise WebhookBodyError("The Content-Length header is not a number.") from None
    if announced > limit or len(request.body) > limit:
        raise WebhookBodyError(
            f"The body is larger than {limit} bytes (PORTO_WEBHOOK_MAX_BODY_BYTES)."
        )


def _refuse_constant(name: str) -> None:
    raise WebhookBodyError(f"The JSON body holds {name}, which is not a JSON number.")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise WebhookBodyError("The JSON body repeats a key in one object.")
    return dict(pairs)


def json_strict_loads(text: str, what: str = "body") -> Any:
    """``json.loads`` that refuses NaN/Infinity, duplicate keys and excessive nesting."""
    try:
        return json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates
        )
    except RecursionError:
        raise WebhookBodyError(f"The JSON {what} is nested too deeply.") from None
    except ValueError as error:
        if isinstance(error, WebhookBodyError):
            raise
        raise WebhookBodyError(f"The {what} is not valid JSON ({error}).") from None


def _walk(value: Any, depth: int = 1) -> Iterator[tuple[Any, Any, int]]:
    """(key, value, depth) of every item, depth first; the root has key None."""
    stack = [(None, value, depth)]
    while stack:
        key, item, level = stack.pop()
        yield key, item, level
        if isinstance(item, dict):
            stack.extend((name, child, level + 1) for name, child in item.items())
        elif isinstance(item, list):
            stack.extend((None, child, level + 1) for child in item)


def _is_id_key(key: object) -> bool:
    return isinstance(key, str) and key.lower().replace("-", "").replace("_", "") in ID_KEYS


def id_check(value: object, what: str) -> None:
    """An id is a whole number, or short printable ASCII text (null: the provider has none)."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return
    if not isinstance(value, str):
        raise WebhookBodyError(f"The {what} is not text or a number.")
    if len(value) > MAX_ID_LENGTH:
        raise WebhookBodyError(f"The {what} is longer than {MAX_ID_LENGTH} characters.")
    if value and not SANE_ID.fullmatch(value):
        raise WebhookBodyError(f"The {what} holds spaces, control or non-ASCII characters.")


def _text_check(text: str, what: str) -> None:
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return
    name = "a NUL character" if found.group() == "\x00" else "a lone surrogate"
    raise WebhookBodyError(f"The {what} holds {name}, which no provider sends.")


def json_value_check(value: Any, what: str = "JSON body") -> None:
    for key, item, depth in _walk(value):
        if depth > MAX_DEPTH:
            raise WebhookBodyError(f"The {what} is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(key, str):
            _text_check(key, what)
        if isinstance(item, str):
            _text_check(item, what)
        if _is_id_key(key):
            id_check(item, f"{key!r} in the {what}")


def _form_check(text: str) -> None:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookBodyError(f"The form body cannot be decoded ({error}).") from None
    for key, value in pairs:
        _text_check(key + value, "form body")
        if _is_id_key(key):
            id_check(value, f"{key!r} in the form body")


def _is_form(request: HttpRequest, text: str) -> bool:
    """A form post (Mailgun's legacy webhooks); anything else is read as JSON."""
    is_form_type = request.content_type == "application/x-www-form-urlencoded"
    return is_form_type and not text.lstrip().startswith(("{", "["))


def _headers_check(request: HttpRequest) -> None:
    for name in HEADER_IDS:
        if name in request.headers:
            id_check(request.headers[name], f"{name} header")


def webhook_body_check(provider: str, request: HttpRequest) -> None:
    """Raise ``WebhookBodyError`` unless the request's body and ids are sane (see above)."""
    body_size_check(request)
    _headers_check(request)
    if b"\x00" in request.body:
        raise WebhookBodyError("The body holds a NUL byte, which no provider sends.")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookBodyError("The body is not UTF-8 text.") from None
    if _is_form(request, text):
        _form_check(text)
        return
    value = json_strict_loads(text)
    json_value_check(value)
    for what, nested in provider_get(provider).parser.nested_json(value):
        json_value_check(json_strict_loads(nested, what), what)


# --- Reading quirks of valid bodies --------------------------------------------------------


def parseable_body(provider: str, body: bytes) -> bytes:
    """The body anymail's parser is given: the stored one, but for the provider's quirks."""
    return provider_get(provider).parser.parseable_body(body)
