"""``Idempotency-Key``: a retried POST does its work once.

The promise: for one company, a key sent with the same method, path and body gives the first
successful answer again (same status, same body, header ``Idempotent-Replayed: true``) and
does nothing else; the same key with another method, path or body is refused with 422
``idempotency_key_reused``. Keys are kept PORTO_API_IDEMPOTENCY_HOURS (24 h); an older key
counts as new (``manage.py purge_idempotency_keys`` deletes them).

How: the key row is inserted in the same transaction as the work it guards, and its answer
is written there before the commit. A concurrent duplicate therefore waits on the unique
constraint (PostgreSQL) or on the write lock (SQLite, IMMEDIATE transactions) until the first
commits, then finds the stored answer and replays it. Only a success (2xx) is stored: a
refused request rolls back with its key, so the caller may fix the body and retry with the
same key.

Use: decorate a view's ``post`` with ``@idempotent``.
"""

import functools
import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from porto.accounts.models import Company
from porto.api.errors import IdempotencyKeyReused
from porto.api.models import IdempotencyKey
from porto.api.permissions import api_company

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    description="Any unique string (a UUID): a retry with the same key and body does the "
    "work once and gets the first answer. Kept 24 hours.",
)


def body_hash(request: Request) -> str:
    """A hash of what was sent, not of its bytes: the same JSON with other spacing, or the same
    files in a multipart body with another boundary, is the same request."""
    data = request.data
    files = getattr(request, "FILES", {})
    canonical = {
        "data": data.dict() if hasattr(data, "dict") else data,
        "files": {
            name: hashlib.sha256(upload.read()).hexdigest() for name, upload in files.items()
        },
    }
    for upload in files.values():
        upload.seek(0)
    text = json.dumps(canonical, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        message = _("Give Idempotency-Key as 1 to %(max)d characters, such as a UUID.") % {
            "max": MAX_KEY_LENGTH
        }
        raise ValidationError({HEADER: [message]}, code="invalid")
    return key


def claim(company: Company, key: str, request: Request, digest: str) -> tuple[IdempotencyKey, bool]:
    """The key's row and whether it is new (else: a duplicate, with its stored answer);
    inside the caller's transaction."""
    fields = {"method": request.method, "path": request.path, "body_hash": digest}
    cutoff = timezone.now() - timedelta(hours=settings.PORTO_API_IDEMPOTENCY_HOURS)
    IdempotencyKey.objects.filter(company=company, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():  # a savepoint: the duplicate's error must not end ours
            return IdempotencyKey.objects.create(company=company, key=key, **fields), True
    except IntegrityError:
        return IdempotencyKey.objects.get(company=company, key=key), False


def is_same_request(stored: IdempotencyKey, request: Request, digest: str) -> bool:
    return (stored.method, stored.path, stored.body_hash) == (
        request.method,
        request.path,
        digest,
    )


def replay(stored: IdempotencyKey) -> Response:
    response = Response(stored.response_body, status=stored.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(view_method):
    """Decorates an APIView method (``post``): see the module's docstring."""

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        key = idempotency_key(request)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        digest = body_hash(request)
        with transaction.atomic():
            record, is_new = claim(api_company(request), key, request, digest)
            if not is_new:
                if not is_same_request(record, request, digest):
                    raise IdempotencyKeyReused()
                return replay(record)
            response = view_method(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)  # forget the key with the refused work
                return response
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_text"])
            return response

    return wrapper
