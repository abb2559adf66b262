"""The data the benchmarks measure with, built through the product's own models and services
(the benchmarks never import the test suite). Import after ``django.setup()``."""

import datetime as dt
import io
import itertools
import socket
from decimal import Decimal

from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from porto.accounts.models import Company, Membership
from porto.clients.models import Client, ClientEmail
from porto.documents.models import Document, DocumentKind, DocumentLine
from porto.documents.services import document_finalize, document_recompute_totals
from porto.lib.identifiers import belgian_iban, kbo_from_base
from porto.mail.models import OutgoingEmail, Recipient

_counter = itertools.count(1)


def company_new(name: str, slug: str, **fields) -> Company:
    n = next(_counter)
    kbo = kbo_from_base(5_000_000 + n)
    values = {
        "name": name,
        "slug": slug,
        "street": "Kerkstraat 1",
        "postal_code": "2000",
        "city": "Antwerpen",
        "kbo_number": kbo,
        "vat_number": "BE" + kbo,
        "iban": belgian_iban(7360000000 + n),
        "bic": "KREDBEBB",
        "email": f"office@{slug}.example",
    } | fields
    company = Company(**values)
    company.full_clean()
    company.save()
    return company


def user_new(company: Company, username: str):
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@bench.example", password="bench-pass!"
    )
    Membership.objects.create(user=user, company=company, role=Membership.Role.OWNER)
    return user


def client_new(company: Company, *, language: str = "nl", name: str = "", address: str = ""):
    n = next(_counter)
    kbo = kbo_from_base(6_000_000 + n)
    client = Client(
        company=company,
        name=name or f"Klant {n} NV",
        street="Marktplein 5",
        postal_code="9000",
        city="Gent",
        vat_number="BE" + kbo,
        kbo_number=kbo,
        peppol_scheme="0208",
        peppol_id=kbo,
        language=language,
    )
    client.full_clean()
    client.save()
    ClientEmail.objects.create(
        client=client, address=address or f"klant{n}@klant.example", is_default=True
    )
    return client


def finalized_new(company: Company, client: Client, lines: list[tuple[str, ...]]) -> Document:
    """A finalized invoice; ``lines`` holds (quantity, unit price, VAT category, rate)."""
    document = Document.objects.create(company=company, client=client, kind=DocumentKind.INVOICE)
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=position,
            name=f"Line {position + 1}",
            quantity=Decimal(quantity),
            unit_price=Decimal(price),
            vat_category=category,
            vat_rate=Decimal(rate),
        )
        for position, (quantity, price, category, rate) in enumerate(lines)
    )
    return document_finalize(document_recompute_totals(document))


def finalized_in_bulk(company: Company, count: int, *, clients: int = 9) -> list[Document]:
    """``count`` finalized invoices in one INSERT over clients in nl/fr/en: finalizing each
    would dominate the time, and the send path is what is measured."""
    owners = [client_new(company, language=["nl", "fr", "en"][i % 3]) for i in range(clients)]
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


def small_pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def sent_email(company: Company, address: str) -> OutgoingEmail:
    """An email a provider accepted for one recipient (what a pixel or webhook refers to)."""
    client = client_new(company, address=address)
    handed_off = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    email = OutgoingEmail.objects.create(
        company=company,
        document=Document.objects.create(company=company, client=client),
        transport="provider",
        from_name=company.name,
        from_address="bench@send.example",
        subject="Factuur 2026/0042",
        body_text="Beste klant",
        language="nl",
        file_format="pdf",
        message_id=f"bench.{client.pk}@send.example",
        state=OutgoingEmail.State.SENT,
        handed_off_at=handed_off,
    )
    Recipient.objects.create(email=email, address=address, accepted_at=handed_off)
    return email


class _Accept:
    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 OK"


class SmtpSink:
    """A local SMTP server that accepts everything and keeps nothing."""

    def __init__(self) -> None:
        self.port_number = free_port()
        self.controller = Controller(_Accept(), hostname="127.0.0.1", port=self.port_number)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def logo_png(width: int = 600, height: int = 200) -> bytes:
    """A company logo as a person would upload one: a PNG with colour and shapes, so it
    compresses like a real logo rather than like a flat colour."""
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 4):
        draw.line([(x, 0), (x, height)], fill=(20, 90 + x % 120, 160, 255))
    draw.ellipse([(10, 10), (height - 10, height - 10)], fill=(250, 200, 30, 255))
    draw.rectangle(
        [(height, height // 3), (width - 10, 2 * height // 3)], fill=(255, 255, 255, 230)
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def company_logo_set(company: Company, content: bytes, name: str = "logo.png") -> None:
    company.logo.save(name, ContentFile(content), save=True)
