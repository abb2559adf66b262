"""What the mail app reads from other apps: company email settings, email texts and the
document's stored files. One module, so the dependencies of sending are in one place."""

from porto.documents.rendering.files import StoredFile, document_files
from porto.documents.rendering.ubl import ubl_problems
from porto.emailsettings.selectors import email_settings_for
from porto.emailtexts.services import RenderedText, email_text_for, email_text_render

__all__ = [
    "RenderedText",
    "StoredFile",
    "document_files",
    "email_settings_for",
    "email_text_for",
    "email_text_render",
    "ubl_problems",
]
