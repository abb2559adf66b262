"""Reading the sandbox inbox."""

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from porto.accounts.models import Company
from porto.sandbox import parsing
from porto.sandbox.models import SandboxMessage

SAFE_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


@dataclass(frozen=True)
class MessageView:
    headers: list[tuple[str, str]]
    cc: str
    text: str
    has_html: bool
    attachments: list[parsing.Attachment]


def inbox_messages(company: Company) -> QuerySet[SandboxMessage]:
    return SandboxMessage.objects.filter(company=company).defer("raw")


def message_view(message: SandboxMessage) -> MessageView:
    parsed = parsing.parse(bytes(message.raw))
    return MessageView(
        headers=parsing.headers(parsed),
        cc=parsing.header(parsed, "Cc"),
        text=parsing.text_of(parsing.body_part(parsed, "plain")),
        has_html=parsing.body_part(parsed, "html") is not None,
        attachments=parsing.attachments(parsed),
    )


def message_html(message: SandboxMessage) -> str:
    parsed = parsing.parse(bytes(message.raw))
    html = parsing.text_of(parsing.body_part(parsed, "html"))
    return parsing.html_with_inline_images(html, parsing.attachments(parsed))


def message_attachment(message: SandboxMessage, index: int) -> parsing.Attachment | None:
    found = parsing.attachments(parsing.parse(bytes(message.raw)))
    return found[index] if 0 <= index < len(found) else None


def download_content_type(content_type: str) -> str:
    return content_type if SAFE_CONTENT_TYPE.match(content_type) else "application/octet-stream"
