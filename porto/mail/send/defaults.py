"""What the send pop-up shows before anyone types: recipients, copy to self, email text,
subject, body, format and the limits. The page renders it; the API will return it."""

from dataclasses import dataclass, field

from porto.documents.models import UBL_KINDS, Document
from porto.emailtexts.models import EmailText
from porto.emailtexts.services import email_texts_ensure_defaults
from porto.mail import sources
from porto.mail.models import FileFormat
from porto.mail.send.limits import browser_limits
from porto.mail.send.problems import default_format, recipient_language
from porto.mail.send.request import NewAttachment


@dataclass(frozen=True)
class AddressChoice:
    address: str
    label: str
    is_default: bool


@dataclass(frozen=True)
class TextChoice:
    """An email text the pop-up offers: its name is in the text's own language."""

    id: int
    name: str
    language: str
    language_name: str  # in the reader's language


@dataclass(frozen=True)
class SendDefaults:
    addresses: list[AddressChoice]
    to: list[str]
    copy_to_self: str  # the address that gets a Bcc copy; empty when the setting is off
    texts: list[TextChoice]
    email_text_id: int
    subject: str
    body: str
    formats: list[tuple[str, str]]
    file_format: str
    limits: dict
    attachments: list[NewAttachment] = field(default_factory=list)


def send_defaults(document: Document, user) -> SendDefaults:
    """The pop-up's starting point for ``user`` sending ``document``: the client's default
    address, the default text of the client's language rendered, the company's format."""
    email_settings = sources.email_settings_for(document.company)
    language = recipient_language(document)
    text = sources.email_text_for(document.company, document.kind, language)
    rendered = sources.email_text_render(text, document, language)
    addresses = client_addresses(document)
    return SendDefaults(
        addresses=addresses,
        to=[a.address for a in addresses[:1]],  # the default address comes first
        copy_to_self=email_settings.reply_to_address if email_settings.copy_to_self else "",
        texts=[text_choice(t) for t in send_texts(document)],
        email_text_id=text.pk,
        subject=rendered.subject,
        body=rendered.body_text,
        formats=format_choices(document),
        file_format=default_format(document, email_settings),
        limits=browser_limits(),
    )


def client_addresses(document: Document) -> list[AddressChoice]:
    client = document.client
    if client is None:
        return []
    return [AddressChoice(e.address, e.label, e.is_default) for e in client.emails.all()]


def send_texts(document: Document) -> list[EmailText]:
    """The company's texts for the document's kind, every language."""
    email_texts_ensure_defaults(document.company)
    return list(
        EmailText.objects.filter(company=document.company, kind=document.kind).order_by(
            "language", "-is_default", "name"
        )
    )


def text_choice(text: EmailText) -> TextChoice:
    return TextChoice(
        id=text.pk,
        name=text.name,
        language=text.language,
        language_name=str(text.get_language_display()),
    )


def format_choices(document: Document) -> list[tuple[str, str]]:
    if document.kind not in UBL_KINDS:
        return [(FileFormat.PDF, str(FileFormat.PDF.label))]
    return [(value, str(label)) for value, label in FileFormat.choices]
