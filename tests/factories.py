"""Small builders for test data. Each returns saved, valid objects."""

import itertools
from decimal import Decimal

from django.contrib.auth import get_user_model

from porto.accounts.models import Company, Membership
from porto.clients.models import Client, ClientEmail
from porto.documents.codes import VATEX_FOR_CATEGORY
from porto.documents.models import Document, DocumentKind, DocumentLine
from porto.documents.services import document_finalize, document_recompute_totals
from porto.lib.identifiers import belgian_iban, kbo_from_base

_counter = itertools.count(1)


def make_company(name: str = "", **fields) -> Company:
    n = next(_counter)
    kbo = kbo_from_base(1_000_000 + n)
    values = {
        "name": name or f"Company {n} BV",
        "street": "Kerkstraat 1",
        "postal_code": "2000",
        "city": "Antwerpen",
        "kbo_number": kbo,
        "vat_number": "BE" + kbo,
        "iban": belgian_iban(7350000000 + n),
        "bic": "KREDBEBB",
        "email": f"office{n}@company.example",
    } | fields
    company = Company(**values)
    company.full_clean()
    company.save()
    return company


def make_user(
    company: Company | None = None, role: str = Membership.Role.OWNER, username: str = ""
):
    n = next(_counter)
    user = get_user_model().objects.create_user(
        username=username or f"user{n}", email=f"user{n}@people.example", password="s3cret-pass!"
    )
    if company is not None:
        Membership.objects.create(user=user, company=company, role=role)
    return user


def make_client(
    company: Company, *, language: str = "nl", emails: tuple[str, ...] = (), **fields
) -> Client:
    n = next(_counter)
    kbo = kbo_from_base(2_000_000 + n)
    values = {
        "name": f"Client {n} NV",
        "street": "Marktplein 5",
        "postal_code": "9000",
        "city": "Gent",
        "vat_number": "BE" + kbo,
        "kbo_number": kbo,
        "peppol_scheme": "0208",
        "peppol_id": kbo,
        "language": language,
    } | fields
    client = Client(company=company, **values)
    client.full_clean()
    client.save()
    for index, address in enumerate(emails or (f"client{n}@client.example",)):
        ClientEmail.objects.create(client=client, address=address, is_default=index == 0)
    return client


def make_document(
    company: Company,
    client: Client | None = None,
    *,
    kind: str = DocumentKind.INVOICE,
    lines: list[tuple] | None = None,
    **fields,
) -> Document:
    """A draft. ``lines`` holds (quantity, unit price, category, rate[, reason]) tuples."""
    document = Document.objects.create(company=company, client=client, kind=kind, **fields)
    exemptions = dict(document.vat_exemptions)
    for position, spec in enumerate(lines if lines is not None else [("1", "100", "S", "21")]):
        quantity, price, category, rate, *reason = spec
        DocumentLine.objects.create(
            document=document,
            position=position,
            name=f"Line {position + 1}",
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            vat_category=category,
            vat_rate=Decimal(rate),
        )
        if reason and reason[0]:
            code = VATEX_FOR_CATEGORY.get(category, "")
            exemptions.setdefault(category, {"code": code, "text": reason[0]})
    if exemptions != document.vat_exemptions:
        document.vat_exemptions = exemptions
        document.save(update_fields=["vat_exemptions"])
    return document_recompute_totals(document)


def make_finalized(company: Company, client: Client | None = None, **kwargs) -> Document:
    client = client or make_client(company)
    return document_finalize(make_document(company, client, **kwargs))


def make_foreign_client(company: Company, country: str, vat: str, **fields) -> Client:
    """A business client in another EU country, on Peppol with its VAT number."""
    from porto.documents.rendering.parties import VAT_ENDPOINT_SCHEMES

    values = {
        "country": country,
        "postal_code": "75001",
        "city": "Paris",
        "street": "Rue de Rivoli 1",
        "vat_number": vat,
        "kbo_number": "",
        "peppol_scheme": VAT_ENDPOINT_SCHEMES[vat[:2]],
        "peppol_id": vat,
    } | fields
    return make_client(company, **values)


def make_email(
    document: Document,
    *,
    transport: str = "sandbox",
    handed_off_at=None,
    to: tuple[str, ...] = ("client@klant.example",),
    cc: tuple[str, ...] = (),
    provider_message_id: str = "",
    attachments: tuple[tuple[str, bytes], ...] = (),
    **fields,
):
    """A sent email of ``document`` with its recipients (and attachments), as the outbox
    leaves it after the hand-off; the facts are left to the test."""
    import hashlib
    import uuid

    from django.utils import timezone

    from porto.mail.models import Attachment, AttachmentBlob, OutgoingEmail, Recipient
    from porto.mail.status_store import email_status_store

    n = next(_counter)
    handed_off_at = handed_off_at or timezone.now()
    values = {
        "company": document.company,
        "document": document,
        "transport": transport,
        "from_name": document.company.name,
        "from_address": "acme@send.porto.example",
        "subject": f"Invoice {document.number}",
        "body_text": "Dear client, find the invoice attached.",
        "language": "en",
        "file_format": "pdf",
        "message_id": f"{uuid.uuid4().hex}.{n}@send.porto.example",
        "state": OutgoingEmail.State.SENT,
        "handed_off_at": handed_off_at,
        "finished_at": handed_off_at,
        "created_at": handed_off_at,
    } | fields
    email = OutgoingEmail.objects.create(**values)
    addresses = [(a, Recipient.Kind.TO) for a in to] + [(a, Recipient.Kind.CC) for a in cc]
    for position, (address, kind) in enumerate(addresses):
        Recipient.objects.create(
            email=email,
            kind=kind,
            position=position,
            address=address,
            provider_message_id=provider_message_id,
            accepted_at=handed_off_at,
        )
    email_status_store(email.pk)  # the facts above are set by hand: store what they say
    for position, (filename, content) in enumerate(attachments):
        digest = hashlib.sha256(content).hexdigest()
        blob, _ = AttachmentBlob.objects.get_or_create(
            sha256=digest, defaults={"size": len(content), "content": content}
        )
        Attachment.objects.create(
            email=email,
            position=position,
            filename=filename,
            content_type="application/pdf",
            blob=blob,
            is_document_file=True,
        )
    return email


def make_finalized_in_bulk(company: Company, count: int, *, clients: int = 9) -> list[Document]:
    """``count`` finalized invoices written in one INSERT, spread over clients in nl/fr/en.
    For bulk-send tests and benchmarks, where finalizing each one would dominate the time."""
    languages = ["nl", "fr", "en"]
    owners = [
        make_client(company, language=languages[i % 3], emails=(f"client{i}@klant.example",))
        for i in range(clients)
    ]
    return Document.objects.bulk_create(
        Document(
            company=company,
            client=owners[i % len(owners)],
            kind=DocumentKind.INVOICE,
            status=Document.Status.FINALIZED,
            number=f"2026-{i + 1:05d}",
            sequence=i + 1,
            client_snapshot={"name": owners[i % len(owners)].name},
        )
        for i in range(count)
    )
