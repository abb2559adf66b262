"""Documents that use every field, as the PDF and UBL tests need them: written through the
models and the finalize service, the way the editor writes them."""

import datetime
from decimal import Decimal

from porto.accounts.models import Company
from porto.documents.models import (
    Document,
    DocumentAllowanceCharge,
    DocumentKind,
    DocumentLine,
    LineAllowanceCharge,
)
from porto.documents.services import document_finalize, document_recompute_totals
from tests.factories import make_client, make_document, make_foreign_client

DELIVERY = {
    "delivery_date": datetime.date(2026, 3, 2),
    "deliver_to_name": "Entrepôt Lyon Sud",
    "deliver_to_street": "Rue du Dépôt 4",
    "deliver_to_street2": "Quai de chargement 3",
    "deliver_to_postal_code": "69007",
    "deliver_to_city": "Lyon",
    "deliver_to_country": "FR",
}


def add_line(document: Document, name: str, quantity: str, price: str, **fields) -> DocumentLine:
    values = {"vat_category": "S", "vat_rate": Decimal("21")} | fields
    return DocumentLine.objects.create(
        document=document,
        position=document.lines.count(),
        name=name,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        **values,
    )


def add_line_adjustment(line: DocumentLine, **fields) -> LineAllowanceCharge:
    return LineAllowanceCharge.objects.create(line=line, **fields)


def add_document_adjustment(document: Document, **fields) -> DocumentAllowanceCharge:
    return DocumentAllowanceCharge.objects.create(document=document, **fields)


def finalize(document: Document) -> Document:
    document_recompute_totals(document)
    return document_finalize(document)


def intra_community_invoice(company: Company, language: str = "fr") -> Document:
    """Labels on a price per 1,000, hours with a line discount, a 5 % loyalty discount and
    freight on the whole document, delivered to a warehouse in Lyon."""
    client = make_foreign_client(
        company,
        "FR",
        "FR40303265045",
        language=language,
        name="Imprimerie Lumière SAS",
        street2="Bâtiment B",
        legal_id="303265045",
    )
    document = make_document(
        company,
        client,
        lines=[],
        buyer_reference="ACH-2026-0042",
        order_reference="BC-7781",
        note="Livraison en deux colis.",
        payment_terms="30 jours fin de mois",
        payment_iban="BE71096123456769",
        payment_bic="GKCCBEBB",
        vat_exemptions={"K": {"code": "VATEX-EU-IC", "text": ""}},
        **DELIVERY,
    )
    labels = add_line(
        document, "Étiquettes 50 x 30 mm", "2500", "45.50",
        description="Rouleaux de 1 000, papier thermique", price_base_quantity=Decimal("1000"),
        vat_category="K", vat_rate=Decimal("0"),
    )  # fmt: skip
    assert labels.net_amount == Decimal("113.75")
    hours = add_line(
        document, "Mise en page", "3", "62.50", unit_code="HUR",
        vat_category="K", vat_rate=Decimal("0"),
    )  # fmt: skip
    add_line_adjustment(hours, percentage=Decimal("10"), reason_code="95", reason="Remise")
    add_document_adjustment(
        document, percentage=Decimal("5"), reason_code="95", reason="Remise de fidélité",
        vat_category="K", vat_rate=Decimal("0"),
    )  # fmt: skip
    add_document_adjustment(
        document, is_charge=True, amount=Decimal("25.00"), reason_code="FC", reason="Transport",
        vat_category="K", vat_rate=Decimal("0"),
    )  # fmt: skip
    return finalize(document)


def credit_note_with_allowances(company: Company, language: str = "nl") -> Document:
    client = make_client(company, language=language, street2="Bus 12")
    invoice = make_document(company, client, lines=[("1", "500", "S", "21")])
    invoice = finalize(invoice)
    credit = make_document(
        company, client, kind=DocumentKind.CREDIT_NOTE, corrects=invoice, lines=[]
    )
    boxes = add_line(credit, "Dozen", "10", "12.00", unit_code="XBX")
    add_line_adjustment(boxes, is_charge=True, amount=Decimal("5.00"), reason_code="ABL",
                        reason="Extra verpakking")  # fmt: skip
    coffee = add_line(credit, "Koffie", "4", "8.3333", unit_code="KGM")
    add_line_adjustment(coffee, percentage=Decimal("2.5"), reason_code="95", reason="Korting")
    add_document_adjustment(credit, amount=Decimal("10.00"), reason_code="95",
                            reason="Commerciële korting")  # fmt: skip
    return finalize(credit)


def fully_prepaid_invoice(company: Company, language: str = "nl") -> Document:
    client = make_client(company, language=language)
    document = make_document(
        company, client, lines=[("2", "50", "S", "21")], prepaid_amount=Decimal("121.00")
    )
    return finalize(document)
