"""Multipart bodies as a browser or an API client writes them, posted to the real send views
(the send pop-up's and the API's)."""

import uuid

from django.test.client import encode_multipart
from django.urls import reverse

BOUNDARY = "porto-test-boundary"
JSON = {"HTTP_ACCEPT": "application/json"}


def form_fields(**more) -> dict:
    """The pop-up's fields for a typical send."""
    return {
        "to": "compta@cafe-elysee.example",
        "subject": "Votre facture",
        "body": "Bonjour,\n\nVeuillez trouver la facture en annexe.",
        "file_format": "pdf",
        "idempotency_key": uuid.uuid4().hex,
    } | more


def part(name: str, filename: str, content: bytes) -> bytes:
    """One file part as a browser writes it: the name as given, in UTF-8 (Django's
    encode_multipart cannot write an empty file name, nor one with a control character)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + content + b"\r\n"


def body_with(fields: dict, *files: bytes) -> bytes:
    """``fields`` then the file parts ``files``, as one multipart body."""
    head = encode_multipart(BOUNDARY, fields).rsplit(f"--{BOUNDARY}--".encode(), 1)[0]
    return head + b"".join(files) + f"--{BOUNDARY}--\r\n".encode()


def post_page(http, document, body: bytes):
    """The pop-up's POST (it asks for a JSON answer)."""
    return http.generic(
        "POST",
        reverse("document_send", args=[document.pk]),
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **JSON,
    )


def post_api(http, token: str, document, body: bytes):
    return http.generic(
        "POST",
        f"/api/v1/documents/{document.pk}/send/",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
