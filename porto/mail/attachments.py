"""The bytes an email carries: stored once per content (``AttachmentBlob``, by SHA-256) and
linked to the email in order. Used by the send request and by delivery (bulk sends attach the
document's files on the first claim)."""

import hashlib
from typing import Any

from porto.mail.models import Attachment, AttachmentBlob, OutgoingEmail


def store_attachments(email: OutgoingEmail, files: list[tuple[Any, bool]]) -> None:
    """Store each file's bytes once (by SHA-256) and link them to the email, in order.

    ``files`` holds ``(file, is_document_file)`` pairs; a file has ``filename``,
    ``content_type`` and ``content``, and an attached one what was ``removed`` from it."""
    store_attachments_bulk({email: files})


def store_attachments_bulk(files_of: dict[OutgoingEmail, list[tuple[Any, bool]]]) -> None:
    """``store_attachments`` for many emails in two INSERTs (a worker's batch)."""
    blobs = {}
    rows = []
    for email, files in files_of.items():
        for position, (file, is_document_file) in enumerate(files):
            digest = hashlib.sha256(file.content).hexdigest()
            blobs[digest] = AttachmentBlob(
                sha256=digest, size=len(file.content), content=file.content
            )
            rows.append(
                Attachment(
                    email=email,
                    position=position,
                    filename=file.filename,
                    content_type=file.content_type,
                    blob_id=digest,
                    is_document_file=is_document_file,
                    removed_content=sorted(getattr(file, "removed", ())),
                )
            )
    AttachmentBlob.objects.bulk_create(blobs.values(), ignore_conflicts=True)
    Attachment.objects.bulk_create(rows)
