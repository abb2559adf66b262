"""Send requests: check one send (or a bulk send) as a whole and write its rows completely,
or refuse it listing every problem by field (``porto.mail.send.problems``). Services never
enqueue: they return the rows, and the caller (view, command, API) wakes delivery on commit
inside its own transaction, so rows and wake-up commit together."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.clients.models import Client, ClientEmail
from porto.documents.models import Document
from porto.emailsettings.models import EmailSettings
from porto.emailtexts.models import EmailText
from porto.lib.headers import address_key
from porto.lib.rows import new_row, rows_insert
from porto.mail import checks, sources
from porto.mail.attachments import store_attachments
from porto.mail.models import (
    BulkJob,
    OutgoingEmail,
    Recipient,
)
from porto.mail.reasons import reason_stored
from porto.mail.send.problems import (
    Identity,
    SendContext,
    document_problems,
    identity_problems,
    problems_error,
    recipient_language,
    send_check,
    send_context,
    sender_identity,
)
from porto.mail.send.request import Draft, NewAttachment, SendRequest
from porto.mail.status_store import document_status_store

__all__ = ["NewAttachment", "SendRequest", "bulk_send", "email_send", "recipient_language"]


def add_copy_to_self(draft: Draft, email_settings: EmailSettings) -> None:
    if not email_settings.copy_to_self:
        return
    address = email_settings.reply_to_address
    if address and address_key(address) not in {
        address_key(m.address) for _k, m in draft.recipients
    }:
        draft.recipients.append((Recipient.Kind.BCC, checks.Mailbox(name="", address=address)))


# The single send


def email_send(request: SendRequest) -> OutgoingEmail:
    """Check ``request`` as a whole and write its rows; ValidationError maps every problem to
    its field. The caller wakes delivery (``porto.mail.tasks.wake_on_commit``)."""
    document = request.document
    context = send_context(document.company)
    draft, problems = send_check(request, context)
    if problems:
        raise problems_error(problems)
    add_copy_to_self(draft, context.email_settings)
    with transaction.atomic():
        email = _write_email(request, draft, context.identity)
        if request.save_new_addresses:
            _save_new_addresses(document, draft)
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
    document_status_store([document.pk])  # the new email is the document's latest
    return email


def _email_row(document: Document, draft: Draft, identity: Identity, *, created_by=None):
    return OutgoingEmail(**_email_values(document, draft, identity, created_by=created_by))


def _email_values(document: Document, draft: Draft, identity: Identity, *, created_by=None):
    public_id = uuid.uuid4()
    now = timezone.now()
    return {
        "public_id": public_id,
        "company": document.company,
        "document": document,
        "created_by": created_by,
        "created_at": now,
        "transport": identity.transport,
        "from_name": identity.from_name,
        "from_address": identity.from_address,
        "reply_to": identity.reply_to,
        "subject": draft.subject,
        "body_text": draft.body_text,
        "body_html": draft.body_html,
        "language": draft.language,
        "file_format": draft.file_format,
        "email_text": draft.email_text,
        "track_opens": identity.track_opens,
        "message_id": new_message_id(public_id, identity.message_id_domain),
        "next_attempt_at": now,
        "woken_at": now,
    }


def _recipient_rows(email: OutgoingEmail, recipients) -> list[Recipient]:
    return [
        new_row(
            Recipient,
            {
                "email_id": email.pk,
                "kind": kind,
                "position": i,
                "name": mailbox.name,
                "address": mailbox.address,
            },
        )
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
    with that language's default text and the company's default format, each through the
    single send's checks. Documents that cannot be sent are listed in ``BulkJob.skipped`` with
    the reason. The caller wakes delivery of ``job.emails`` on commit."""
    email_settings = sources.email_settings_for(company)
    identity = sender_identity(company, email_settings)
    setup_problems = identity_problems(identity, email_settings)
    if setup_problems:
        raise ValidationError(setup_problems)
    documents = _bulk_documents(
        company, document_ids, with_lines="ubl" in email_settings.default_format
    )
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


def _bulk_documents(
    company: Company, document_ids: list[int], *, with_lines: bool
) -> dict[int, Document]:
    """The documents with what the checks read; their lines only when the UBL rules are
    checked (a format with UBL): reading every line of a thousand documents takes time. The
    company and each client (with its addresses) are built once and shared by their
    documents, not once per document: a month-end send has many documents per client."""
    query = Document.objects.filter(company=company, pk__in=document_ids)
    documents = list(query.prefetch_related(*(["lines"] if with_lines else [])))
    client_ids = {d.client_id for d in documents if d.client_id is not None}
    clients = Client.objects.filter(pk__in=client_ids).prefetch_related("emails").in_bulk()
    for document in documents:
        document.company = company
        if document.client_id is not None:
            document.client = clients[document.client_id]
    return {d.pk: d for d in documents}


def _bulk_plan(document: Document, email_settings, identity: Identity, texts: dict):
    """The single send's checks on the client's default address and the default text."""
    if document_problems(document):
        raise ValidationError(document_problems(document))
    default = document.client.default_email if document.client else None
    if default is None:
        raise ValidationError(
            _("The client has no default email address: add one to the client, then send.")
        )
    context = SendContext(document.company, email_settings, identity, texts, load_files=False)
    draft, by_field = send_check(SendRequest(document=document, to=[default.address]), context)
    if by_field:
        raise ValidationError(by_field)
    add_copy_to_self(draft, email_settings)
    values = _email_values(document, draft, identity) | {"files_pending": True}
    return new_row(OutgoingEmail, values), draft.recipients


def _write_bulk(company, created_by, planned, skipped, requested, email_settings) -> BulkJob:
    with transaction.atomic():
        job = BulkJob.objects.create(
            company=company, created_by=created_by, requested=requested, skipped=skipped
        )
        emails = [email for email, _r in planned]
        for email in emails:
            email.bulk_job_id = job.pk
            email.created_by_id = created_by.pk if created_by is not None else None
        rows_insert(emails)  # as bulk_create, with each column's values prepared once
        rows_insert(
            [row for email, recipients in planned for row in _recipient_rows(email, recipients)]
        )
        document_status_store(email.document_id for email in emails)  # each one's latest
    return job
