"""Every field of a document reaches its PDF, in the client's language, and the amounts the
PDF shows are the ones ``compute_totals`` gives."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from porto.documents.models import Document
from porto.documents.rendering import pdf
from porto.lib.formatting import format_amount
from porto.lib.identifiers import format_iban
from tests.documents.pdf_words import rows, squeezed, text
from tests.documents.rich_documents import (
    add_line,
    credit_note_with_allowances,
    finalize,
    fully_prepaid_invoice,
    intra_community_invoice,
)
from tests.factories import make_client, make_document, make_finalized

# What the intra-community invoice's PDF says, per language: (label, value) pairs that must
# stand on one row, in this order.
INTRA_COMMUNITY_ROWS = {
    "nl": [
        "Étiquettes 50 x 30 mm 2.500 stuk 45,50",
        "Mise en page 3 uur 62,50",
        "Remise (10 % van 187,50 €): -18,75 €",
        "per 1.000",
        "Uw referentie ACH-2026-0042",
        "Bestelreferentie BC-7781",
        "Leveringsdatum 02/03/2026",
        "Totaal van de lijnen 282,50 €",
        "Remise de fidélité -14,13 €",
        "5 % van 282,50 €",
        "Transport 25,00 €",
        "Totaal excl. btw 293,37 €",
        "Betalingsvoorwaarden: 30 jours fin de mois",
        "Gelieve 293,37 € te betalen aan:",
        "IBAN BE71 0961 2345 6769",
        "BIC GKCCBEBB",
        "Registratienummer 303265045",
    ],
    "fr": [
        "Étiquettes 50 x 30 mm 2 500 pièce 45,50",
        "Mise en page 3 heure 62,50",
        "Remise (10 % de 187,50 €): -18,75 €",
        "pour 1 000",
        "Votre référence ACH-2026-0042",
        "Référence de commande BC-7781",
        "Date de livraison 02/03/2026",
        "Total des lignes 282,50 €",
        "Remise de fidélité -14,13 €",
        "5 % de 282,50 €",
        "Transport 25,00 €",
        "Total HTVA 293,37 €",
        "Conditions de paiement : 30 jours fin de mois",
        "Veuillez payer 293,37 € à :",
        "IBAN BE71 0961 2345 6769",
        "BIC GKCCBEBB",
        "Numéro d'enregistrement 303265045",
    ],
}
FOOTER_TOP = 842 - 24 * 72 / 25.4  # points: the page's bottom margin holds the footer
DELIVERY_HEADING = {"nl": "Leveringsadres", "fr": "Adresse de livraison"}
INTRA_COMMUNITY_NAME = {"nl": "Intracommunautaire levering", "fr": "Livraison intracommunautaire"}


def has_row(content_rows: list[str], expected: str) -> bool:
    """``expected`` is one visual row, or a run of words inside one."""
    return any(squeezed(expected) in squeezed(row) for row in content_rows)


@pytest.fixture
def intra_community_pdf(company, request):
    language = request.param
    document = intra_community_invoice(company, language)
    return language, document, pdf.render_pdf(document)


@pytest.mark.parametrize("intra_community_pdf", ["nl", "fr"], indirect=True)
@pytest.mark.django_db
def test_every_field_of_an_intra_community_invoice_is_on_its_row(intra_community_pdf):
    language, _, content = intra_community_pdf
    found = rows(content)
    missing = [row for row in INTRA_COMMUNITY_ROWS[language] if not has_row(found, row)]
    assert missing == [], "\n".join(found)


@pytest.mark.parametrize("intra_community_pdf", ["nl", "fr"], indirect=True)
@pytest.mark.django_db
def test_item_description_delivery_address_and_buyer_line_2(intra_community_pdf):
    language, _, content = intra_community_pdf
    page = squeezed(text(content))
    for expected in [
        "Rouleaux de 1 000, papier thermique",
        DELIVERY_HEADING[language],
        "Entrepôt Lyon Sud",
        "Rue du Dépôt 4",
        "Quai de chargement 3",
        "69007 Lyon, FR",
        "Bâtiment B",
        "Livraison en deux colis.",
    ]:
        assert squeezed(expected) in page, expected


@pytest.mark.parametrize("intra_community_pdf", ["nl", "fr"], indirect=True)
@pytest.mark.django_db
def test_vat_breakdown_and_exemption_text_in_the_clients_language(intra_community_pdf):
    language, _, content = intra_community_pdf
    found = rows(content)
    name = INTRA_COMMUNITY_NAME[language]
    # In the VAT table, wrapped in its cell beside the amounts, and whole as the exemption text.
    assert has_row(found, f"{name.split()[0]} 293,37 € 0,00 €")
    assert name in found


@pytest.mark.parametrize("intra_community_pdf", ["nl"], indirect=True)
@pytest.mark.django_db
def test_item_name_is_bold_and_its_description_is_not(intra_community_pdf):
    _, document, _ = intra_community_pdf
    html = pdf_html(document)
    assert '<strong class="item">Étiquettes 50 x 30 mm</strong>' in html
    assert '<div class="item-description">Rouleaux de 1 000, papier thermique</div>' in html


def pdf_html(document: Document) -> str:
    with translation.override(pdf.document_language(document)):
        return render_to_string("documents/pdf/document.html", pdf.pdf_context(document, ""))


@pytest.mark.parametrize(
    ("language", "unit_code", "name"),
    [("nl", "KGM", "kg"), ("nl", "DAY", "dag"), ("fr", "LTR", "litre"), ("en", "XBX", "box")],
)
@pytest.mark.django_db
def test_quantity_shows_the_unit_name_not_its_code(company, language, unit_code, name):
    document = make_document(company, make_client(company, language=language), lines=[])
    add_line(document, "Line 1", "2", "100", unit_code=unit_code)
    content = pdf.render_pdf(finalize(document))
    assert has_row(rows(content), f"Line 1 2 {name}")
    assert unit_code not in text(content)


@pytest.mark.django_db
def test_seller_and_payment_account_come_from_the_snapshot(company):
    document = make_finalized(company)
    old_name, old_iban = company.name, company.iban
    company.name, company.iban = "Acme Renamed BV", "BE68539007547034"
    company.save()
    content = pdf.render_pdf(Document.objects.get(pk=document.pk))
    found = rows(content)
    assert old_name in found and "Renamed" not in text(content)
    assert has_row(found, f"IBAN {format_iban(old_iban)}")
    assert "BE68" not in squeezed(text(content))


@pytest.mark.parametrize(
    ("language", "paid", "absent"),
    [
        ("nl", "Volledig betaald — niets te betalen",
         ["Gestructureerde mededeling", "Vervaldatum", "Gelieve", "bankapp", "IBAN BE"]),
        ("fr", "Entièrement payée — rien à payer",
         ["Communication structurée", "Date d'échéance", "Veuillez payer", "Scannez", "IBAN BE"]),
        ("en", "Paid in full — nothing to pay",
         ["Structured communication", "Due date", "Please pay", "Scan", "IBAN BE"]),
    ],
)  # fmt: skip
@pytest.mark.django_db
def test_fully_prepaid_invoice_says_paid_in_full_and_asks_for_nothing(
    company, language, paid, absent
):
    document = fully_prepaid_invoice(company, language)
    context = pdf.pdf_context(document, "")
    assert context["payment"] is None and context["paid_in_full"]
    # The footer names the company's IBAN on every page, as company details: leave it out.
    body = squeezed("".join(rows(pdf.render_pdf(document), above=FOOTER_TOP)))
    assert squeezed(paid) in body
    for words in absent:
        assert squeezed(words) not in body, words


@pytest.mark.django_db
def test_partly_prepaid_invoice_still_asks_for_the_rest(company):
    document = make_finalized(company, prepaid_amount=Decimal("21.00"))
    context = pdf.pdf_context(document, "")
    assert not context["paid_in_full"]
    assert context["payment"]["qr"].startswith("data:image/svg+xml")


@pytest.mark.parametrize(
    "build", [intra_community_invoice, credit_note_with_allowances, fully_prepaid_invoice]
)
@pytest.mark.django_db
def test_every_amount_on_the_pdf_equals_compute_totals(company, build):
    document = build(company, "en")
    totals = document.compute_totals()
    found = rows(pdf.render_pdf(document))

    def shown(value: Decimal) -> str:
        return format_amount(value, "en", document.currency)

    expected = [
        f"Total excl. VAT {shown(totals.tax_exclusive)}",
        f"VAT {shown(totals.tax_total)}",
        f"Total incl. VAT {shown(totals.tax_inclusive)}",
    ]
    if totals.adjustments:
        expected.append(f"Total of the lines {shown(totals.line_extension)}")
        for adjustment in totals.adjustments:
            signed = adjustment.amount if adjustment.is_charge else -adjustment.amount
            expected.append(shown(signed))
    if totals.prepaid:
        expected += [f"Already paid {shown(totals.prepaid)}", f"Amount due {shown(totals.payable)}"]
    for line in document.lines.all():
        expected.append(f"{line.name}")
    expected += [shown(net) for net in totals.line_nets]
    expected += [f"{shown(s.taxable_amount)} {shown(s.tax_amount)}" for s in totals.vat_breakdown]
    missing = [row for row in expected if not has_row(found, row)]
    assert missing == [], "\n".join(found)
