"""Send requests: validate one send (or a bulk send) as a whole and queue it completely, or
refuse it listing every problem. Rows, attachments and the wake-up task commit together."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.clients.models import ClientEmail
from porto.documents.models import UBL_KINDS, Document
from porto.emailsettings.models import EmailSettings
from porto.emailtexts.models import EmailText
from porto.lib.headers import address_key, needs_smtputf8
from porto.mail import checks, sources
from porto.mail.attachments import store_attachments
from porto.mail.models import (
    BulkJob,
    FileFormat,
    OutgoingEmail,
    Recipient,
    TransportName,
)
from porto.mail.reasons import reason_stored
from porto.mail.tasks import wake_on_commit
from porto.mail.transports.smtp import SmtpTransport


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: bytes


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


@dataclass(frozen=True)
class Identity:
    transport: str
    from_name: str
    from_address: str
    reply_to: str
    track_opens: bool
    message_id_domain: str


@dataclass
class Draft:
    """A send request after validation: everything needed to write the rows."""

    recipients: list[tuple[str, checks.Mailbox]] = field(default_factory=list)
    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    email_text: EmailText | None = None
    language: str = ""
    file_format: str = FileFormat.PDF
    files: list[checks.CheckedFile] = field(default_factory=list)
    document_files: list = field(default_factory=list)


# Sender identity


def sender_identity(company: Company, email_settings: EmailSettings) -> Identity:
    if email_settings.uses_smtp:
        address = email_settings.smtp_from_address
        return Identity(
            transport=TransportName.SMTP,
            from_name=email_settings.display_sender_name,
            from_address=address,
            reply_to=email_settings.reply_to,
            track_opens=False,
            message_id_domain=address.rpartition("@")[2] or settings.PORTO_PLATFORM_SENDING_DOMAIN,
        )
    domain = settings.PORTO_PLATFORM_SENDING_DOMAIN
    return Identity(
        transport=settings.PORTO_MAIL_TRANSPORT,
        from_name=email_settings.display_sender_name,
        from_address=f"{company.slug}@{domain}",
        reply_to=email_settings.reply_to_address,
        track_opens=email_settings.track_opens,
        message_id_domain=domain,
    )


def identity_problems(identity: Identity, email_settings: EmailSettings) -> list[str]:
    problems = []
    if identity.transport == TransportName.SMTP and not (
        email_settings.smtp_host and identity.from_address
    ):
        problems.append(
            _(
                "Your email settings use Own mailbox (SMTP) but the server or the from-address "
                "is missing: complete them in Settings > Email settings."
            )
        )
    try:
        checks.clean_header_text(identity.from_name, _("sender name"))
    except ValidationError as error:
        problems.extend(error.messages)
    return problems


# Addresses outside ASCII


def smtputf8_problems(
    identity: Identity, email_settings: EmailSettings, mailboxes: list[checks.Mailbox]
) -> list[str]:
    """Refuse, before anything is queued, a local part outside ASCII (josé@…) that the way
    out cannot carry. The sandbox takes SMTPUTF8; the company's own server is asked (EHLO)
    only when such an address is there; the platform's provider is not relied on for it."""
    addresses = [m.address for m in mailboxes] + [identity.from_address, identity.reply_to]
    international = [a for a in dict.fromkeys(addresses) if a and needs_smtputf8(a)]
    if not international or _way_out_takes_smtputf8(identity, email_settings):
        return []
    if identity.transport == TransportName.SMTP:
        message = _(
            "%(address)s has accents or other non-ASCII letters before the @, and your SMTP "
            "server %(host)s does not accept such addresses (SMTPUTF8): use another address."
        )
    else:
        message = _(
            "%(address)s has accents or other non-ASCII letters before the @, which Porto's "
            "sending service cannot deliver: use another address."
        )
    return [message % {"address": a, "host": email_settings.smtp_host} for a in international]


def _way_out_takes_smtputf8(identity: Identity, email_settings: EmailSettings) -> bool:
    if identity.transport == TransportName.SANDBOX:
        return True
    if identity.transport == TransportName.SMTP:
        return SmtpTransport(email_settings.smtp_config()).offers_smtputf8()
    return False


# Document and format


def document_problems(document: Document) -> list[str]:
    if document.is_draft:
        return [
            _("%(title)s is still a draft: finalize it before sending.")
            % {"title": document.display_title}
        ]
    return []


def default_format(document: Document, email_settings: EmailSettings) -> str:
    if document.kind not in UBL_KINDS:
        return FileFormat.PDF
    return email_settings.default_format


def format_problems(document: Document, file_format: str) -> list[str]:
    if file_format not in FileFormat.values:
        return [
            _("%(format)s is not a file format: choose PDF, UBL or PDF+UBL.")
            % {"format": file_format}
        ]
    if "ubl" in file_format and document.kind not in UBL_KINDS:
        return [
            _(
                "A %(kind)s cannot be sent as UBL: UBL (Peppol) exists only for invoices and "
                "credit notes. Choose PDF."
            )
            % {"kind": document.get_kind_display().lower()}
        ]
    return []


# Recipients


def clean_recipients(request: SendRequest, draft: Draft) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for kind, values in (
        (Recipient.Kind.TO, request.to),
        (Recipient.Kind.CC, request.cc),
        (Recipient.Kind.BCC, request.bcc),
    ):
        for value in values:
            try:
                mailbox = checks.clean_mailbox(value)
            except ValidationError as error:
                problems.extend(error.messages)
                continue
            if address_key(mailbox.address) not in seen:
                seen.add(address_key(mailbox.address))
                draft.recipients.append((kind, mailbox))
    if not any(kind == Recipient.Kind.TO for kind, _m in draft.recipients) and not problems:
        problems.append(_("Add at least one recipient in To."))
    if len(draft.recipients) > checks.MAX_RECIPIENTS:
        problems.append(
            _("An email can have at most %(max)d recipients; this one has %(count)d.")
            % {"max": checks.MAX_RECIPIENTS, "count": len(draft.recipients)}
        )
    return problems


def add_copy_to_self(draft: Draft, email_settings: EmailSettings) -> None:
    if not email_settings.copy_to_self:
        return
    address = email_settings.reply_to_address
    if address and address_key(address) not in {
        address_key(m.address) for _k, m in draft.recipients
    }:
        draft.recipients.append((Recipient.Kind.BCC, checks.Mailbox(name="", address=address)))


# Subject and body


def clean_texts(request: SendRequest, draft: Draft, company: Company) -> list[str]:
    problems: list[str] = []
    document = request.document
    draft.language = recipient_language(document)
    rendered = None
    if request.subject is None or request.body_text is None or request.email_text_id:
        try:
            draft.email_text = sources.email_text_for(
                company, document.kind, draft.language, request.email_text_id
            )
            rendered = sources.email_text_render(draft.email_text, document, draft.language)
        except EmailText.DoesNotExist:
            problems.append(_("The chosen email text does not exist: choose another one."))
        except ValidationError as error:
            problems.extend(error.messages)
    subject = request.subject if request.subject is not None else getattr(rendered, "subject", "")
    problems += _clean_subject(subject, draft)
    problems += _clean_body(request, rendered, draft)
    return problems


def _clean_subject(subject: str, draft: Draft) -> list[str]:
    try:
        draft.subject = checks.clean_header_text(subject, _("subject"))
    except ValidationError as error:
        return error.messages
    if not draft.subject:
        return [_("Give the email a subject.")]
    if len(draft.subject) > checks.MAX_SUBJECT_CHARS:
        return [
            _("The subject has %(count)d characters; keep it under %(max)d.")
            % {"count": len(draft.subject), "max": checks.MAX_SUBJECT_CHARS}
        ]
    return []


def _clean_body(request: SendRequest, rendered, draft: Draft) -> list[str]:
    if request.body_text is not None:
        draft.body_text = request.body_text.replace("\r\n", "\n").strip()
        html = request.body_html or str(linebreaks(escape(draft.body_text)))
    else:
        draft.body_text = getattr(rendered, "body_text", "")
        html = request.body_html or str(getattr(rendered, "body_html", ""))
    if not draft.body_text.strip():
        return [_("Write a message: the body cannot be empty.")]
    try:
        draft.body_html = checks.clean_html_body(html) if html else ""
    except ValidationError as error:
        return error.messages
    return []


def recipient_language(document: Document) -> str:
    client = document.client
    if client is not None:
        return client.language
    snapshot = document.client_snapshot or {}
    return str(snapshot.get("language") or document.company.default_language)


# Attachments


def clean_attachments(attachments: list[NewAttachment], draft: Draft) -> list[str]:
    problems: list[str] = []
    if len(attachments) > checks.MAX_ATTACHMENTS:
        problems.append(
            _("You added %(count)d attachments; an email can have at most %(max)d.")
            % {"count": len(attachments), "max": checks.MAX_ATTACHMENTS}
        )
    total = sum(len(a.content) for a in attachments)
    if total > checks.MAX_TOTAL_BYTES:
        problems.append(
            _("The attachments add up to %(size)s; together they can be at most 25 MB.")
            % {"size": checks.human_size(total)}
        )
    for attachment in attachments:
        try:
            draft.files.append(checks.clean_attachment(attachment.filename, attachment.content))
        except ValidationError as error:
            problems.extend(error.messages)
    return problems


def load_document_files(document: Document, draft: Draft) -> list[str]:
    try:
        draft.document_files = list(sources.document_files(document, draft.file_format))
    except ValidationError as error:
        return error.messages
    return []


# The single send


def email_send(request: SendRequest) -> OutgoingEmail:
    """Validate ``request`` as a whole and queue it; ValidationError lists every problem."""
    document = request.document
    company = document.company
    email_settings = sources.email_settings_for(company)
    identity = sender_identity(company, email_settings)
    draft = Draft(file_format=request.file_format or default_format(document, email_settings))
    problems = identity_problems(identity, email_settings)
    problems += document_problems(document)
    problems += format_problems(document, draft.file_format)
    problems += clean_recipients(request, draft)
    problems += clean_texts(request, draft, company)
    problems += clean_attachments(request.attachments, draft)
    if not problems:
        problems += smtputf8_problems(identity, email_settings, [m for _k, m in draft.recipients])
    if not problems:
        problems += load_document_files(document, draft)
    if problems:
        raise ValidationError(problems)
    add_copy_to_self(draft, email_settings)
    with transaction.atomic():
        email = _write_email(request, draft, identity)
        if request.save_new_addresses:
            _save_new_addresses(document, draft)
        wake_on_commit([email.pk])
    return email


def new_message_id(public_id: uuid.UUID, domain: str) -> str:
    return f"{public_id.hex}@{domain}"


def _write_email(request: SendRequest, draft: Draft, identity: Identity) -> OutgoingEmail:
    document = request.document
    email = _email_row(document, draft, identity, created_by=request.created_by)
    email.save()
    Recipient.objects.bulk_create(_recipient_rows(email, draft.recipients))
    files = [(f, True) for f in draft.document_files] + [(f, False) for f in draft.files]
    store_attachments(email, files)
    return email


def _email_row(
    document: Document, draft: Draft, identity: Identity, *, created_by=None, bulk_job=None
) -> OutgoingEmail:
    public_id = uuid.uuid4()
    now = timezone.now()
    return OutgoingEmail(
        public_id=public_id,
        company=document.company,
        document=document,
        bulk_job=bulk_job,
        created_by=created_by,
        created_at=now,
        transport=identity.transport,
        from_name=identity.from_name,
        from_address=identity.from_address,
        reply_to=identity.reply_to,
        subject=draft.subject,
        body_text=draft.body_text,
        body_html=draft.body_html,
        language=draft.language,
        file_format=draft.file_format,
        email_text=draft.email_text,
        track_opens=identity.track_opens,
        message_id=new_message_id(public_id, identity.message_id_domain),
        next_attempt_at=now,
        woken_at=now,
    )


def _recipient_rows(email: OutgoingEmail, recipients) -> list[Recipient]:
    return [
        Recipient(email=email, kind=kind, position=i, name=mailbox.name, address=mailbox.address)
        for i, (kind, mailbox) in enumerate(recipients)
    ]


def _save_new_addresses(document: Document, draft: Draft) -> None:
    client = document.client
    if client is None:
        return
    has_default = client.emails.filter(is_default=True).exists()
    new = [
        ClientEmail(client=client, address=mailbox.address, is_default=False)
        for kind, mailbox in draft.recipients
        if kind == Recipient.Kind.TO
    ]
    ClientEmail.objects.bulk_create(new, ignore_conflicts=True)
    if not has_default and new:
        client.emails.filter(address=new[0].address).update(is_default=True)


# Bulk send


def bulk_send(company: Company, document_ids: list[int], created_by=None) -> BulkJob:
    """One email per document, to its client's default address, in the client's language,
    with that language's default text and the company's default format. Documents that cannot
    be sent are listed in ``BulkJob.skipped`` with the reason."""
    email_settings = sources.email_settings_for(company)
    identity = sender_identity(company, email_settings)
    setup_problems = identity_problems(identity, email_settings)
    if setup_problems:
        raise ValidationError(setup_problems)
    documents = _bulk_documents(company, document_ids)
    planned: list[tuple[OutgoingEmail, list]] = []
    skipped: list[dict] = []
    texts: dict[tuple[str, str], EmailText] = {}
    for document_id in dict.fromkeys(document_ids):
        document = documents.get(document_id)
        if document is None:
            skipped.append(_skip(document_id, "", reason_stored("document_missing")))
            continue
        try:
            planned.append(_bulk_plan(document, email_settings, identity, texts))
        except ValidationError:
            reason = _bulk_refusal(document, email_settings, identity, texts)
            skipped.append(_skip(document.pk, document.number, reason))
    return _write_bulk(company, created_by, planned, skipped, len(document_ids), email_settings)


def _skip(document_id: int, number: str, reason: dict) -> dict:
    return {"document": document_id, "number": number, "reason": reason}


def _bulk_refusal(document: Document, email_settings, identity: Identity, texts: dict) -> dict:
    """Why ``document`` cannot be sent, as a stored reason. The checks word their problems
    themselves (with their own parameters), so the words are kept in every language: the
    bulk results show them in the reader's, whoever asked for the send."""
    problems = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            try:
                _bulk_plan(document, email_settings, identity, texts)
            except ValidationError as error:
                problems[language] = " ".join(error.messages)
    return reason_stored("document_not_sendable", problems=problems)


def _bulk_documents(company: Company, document_ids: list[int]) -> dict[int, Document]:
    query = (
        Document.objects.filter(company=company, pk__in=document_ids)
        .select_related("company", "client")
        .prefetch_related("client__emails", "lines")
    )
    return {d.pk: d for d in query}


def _bulk_plan(document: Document, email_settings, identity: Identity, texts: dict):
    problems = document_problems(document)
    if problems:
        raise ValidationError(problems)
    default = document.client.default_email if document.client else None
    if default is None:
        raise ValidationError(
            _("The client has no default email address: add one to the client, then send.")
        )
    draft = Draft(
        file_format=default_format(document, email_settings),
        language=recipient_language(document),
    )
    if "ubl" in draft.file_format:
        problems = sources.ubl_problems(document)
        if problems:
            raise ValidationError(problems)
    key = (document.kind, draft.language)
    if key not in texts:
        texts[key] = sources.email_text_for(document.company, document.kind, draft.language)
    draft.email_text = texts[key]
    rendered = sources.email_text_render(draft.email_text, document, draft.language)
    problems = _clean_subject(rendered.subject, draft)
    draft.body_text = rendered.body_text
    draft.body_html = checks.clean_html_body(rendered.body_html) if rendered.body_html else ""
    if problems:
        raise ValidationError(problems)
    mailbox = checks.clean_mailbox(default.address)
    problems = smtputf8_problems(identity, email_settings, [mailbox])
    if problems:
        raise ValidationError(problems)
    draft.recipients = [(Recipient.Kind.TO, mailbox)]
    add_copy_to_self(draft, email_settings)
    email = _email_row(document, draft, identity)
    email.files_pending = True
    return email, draft.recipients


def _write_bulk(company, created_by, planned, skipped, requested, email_settings) -> BulkJob:
    with transaction.atomic():
        job = BulkJob.objects.create(
            company=company, created_by=created_by, requested=requested, skipped=skipped
        )
        emails = [email for email, _r in planned]
        for email in emails:
            email.bulk_job = job
            email.created_by = created_by
        OutgoingEmail.objects.bulk_create(emails, batch_size=500)
        Recipient.objects.bulk_create(
            [row for email, recipients in planned for row in _recipient_rows(email, recipients)],
            batch_size=500,
        )
        wake_on_commit([email.pk for email in emails])
    return job
