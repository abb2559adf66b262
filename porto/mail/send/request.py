"""A send request as plain data: what the pop-up, the command line, bulk send and the API
hand to ``porto.mail.requests.email_send``, and the draft its checks make of it."""

from dataclasses import dataclass, field
from typing import Any

from porto.documents.models import Document
from porto.emailtexts.models import EmailText
from porto.lib.headers import Mailbox
from porto.mail.checks import CheckedFile
from porto.mail.models import FileFormat


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes
    # The upload's real size when its bytes were not kept: it passed the limit while it was
    # received (``porto.mail.send.uploads``), and only its name and size travel on.
    refused_size: int | None = None

    @property
    def size(self) -> int:
        return len(self.content) if self.refused_size is None else self.refused_size


@dataclass
class SendRequest:
    """One document to send. ``None`` for subject/body/format means: the default."""

    document: Document
    to: list[str]
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    email_text_id: int | None = None
    file_format: str | None = None
    attachments: list[NewAttachment] = field(default_factory=list)
    save_new_addresses: bool = False
    created_by: Any = None


@dataclass
class Draft:
    """A send request after its checks: everything needed to write the rows."""

    recipients: list[tuple[str, Mailbox]] = field(default_factory=list)
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    email_text: EmailText | None = None
    language: str = ""
    file_format: str = FileFormat.PDF
    files: list[CheckedFile] = field(default_factory=list)
    document_files: list = field(default_factory=list)
