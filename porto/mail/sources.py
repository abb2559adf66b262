"""What the mail app reads from other apps: company email settings, email texts and the
document's stored files. One module, so the dependencies of sending are in one place."""

from porto.emailsettings.selectors import email_settings_for
from porto.emailtexts.services import RenderedText, email_text_for, email_text_render


def document_files(document, file_format: str) -> list:
    """The stored PDF/UBL files of ``document`` (filename, content_type, content, sha256).

    Raises ValidationError with a clear message for UBL on a quote or an invalid UBL."""
    from porto.documents.rendering.files import document_files as stored_files

    return stored_files(document, file_format)


__all__ = [
    "RenderedText",
    "document_files",
    "email_settings_for",
    "email_text_for",
    "email_text_render",
]
