"""The few functions of other apps the send path calls, under one name: the company's email
settings, the email texts, the document's stored files and its UBL problems.

Only a re-export, no logic of its own; it lets tests replace one of them in one place
(``porto.mail.sources.document_files``). Other mail modules also import those apps' models
directly."""

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
