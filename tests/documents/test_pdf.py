"""The PDF: A4, real text in the client's language, payment details, page numbers."""

import io
from decimal import Decimal

import pytest
import tinycss2
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from porto.documents.models import DocumentKind
from porto.documents.rendering import pdf
from porto.documents.rendering.files import document_files
from porto.documents.services import document_finalize as finalize
from tests.factories import make_client, make_document, make_finalized

A4 = (595, 842)  # points


def pages_text(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [page.extract_text() for page in reader.pages]


def squeezed(text: str) -> str:
    """Text without any spaces: PDF extraction splits words at kerning (T axable)."""
    return "".join(text.split())


LABELS = {
    "nl": ["Factuur", "Vervaldatum", "Omschrijving", "Totaal incl. btw", "Gestructureerde mededeling", "Pagina 1 van 1"],
    "fr": ["Facture", "Date d'échéance", "Prix unitaire", "Total TVAC", "Communication structurée", "Page 1 sur 1"],
    "en": ["Invoice", "Due date", "Unit price", "Total incl. VAT", "Structured communication", "Page 1 of 1"],
}  # fmt: skip
TOTALS = {"nl": "1.210,00", "fr": "1\u00a0210,00", "en": "1,210.00"}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
@pytest.mark.django_db
def test_invoice_pdf_in_the_clients_language(company, language):
    client = make_client(company, language=language)
    document = make_finalized(company, client, lines=[("8", "125", "S", "21")])
    (stored,) = document_files(document, "pdf")
    reader = PdfReader(io.BytesIO(stored.content))
    (page,) = reader.pages
    assert (round(page.mediabox.width), round(page.mediabox.height)) == A4
    text = squeezed(page.extract_text())
    for label in LABELS[language]:
        assert squeezed(label) in text, label
    other = {"nl": "Totaal incl. btw", "fr": "Total TVAC", "en": "Total incl. VAT"}
    for lang, label in other.items():
        if lang != language:
            assert squeezed(label) not in text
    assert document.number in text
    assert squeezed(TOTALS[language]) in text  # total incl. VAT of 1 000 + 21 %
    assert document.structured_communication in text
    assert company.iban[:4] in text and "KREDBEBB" in text
    assert stored.filename == f"{LABELS[language][0]}-{document.number}.pdf"


@pytest.mark.django_db
def test_long_document_repeats_the_header_and_numbers_its_pages(company):
    client = make_client(company, language="nl")
    lines = [(str(n), "10", "S", "21") for n in range(1, 91)]
    document = make_finalized(company, client, lines=lines)
    texts = pages_text(pdf.render_pdf(document))
    assert len(texts) >= 3
    pages_with_lines = [text for text in texts if "Line " in text]
    assert len(pages_with_lines) >= 3
    for number, text in enumerate(texts, start=1):
        assert squeezed(f"Pagina {number} van {len(texts)}") in squeezed(text)
    for text in pages_with_lines:
        assert "Omschrijving" in text and "Eenheidsprijs" in squeezed(text)
    assert "Line 1 1 " in texts[0] and "Line 90 90 " in "".join(texts)
    assert document.structured_communication in texts[-1]


@pytest.mark.django_db
def test_payment_qr_code_only_for_invoices_with_an_amount_due(company):
    invoice = make_finalized(company)
    paid = make_finalized(company, prepaid_amount=Decimal("121.00"))
    quote = make_finalized(company, kind=DocumentKind.QUOTE)
    assert pdf.pdf_context(invoice, "")["payment"]["qr"].startswith("data:image/svg+xml")
    assert pdf.pdf_context(paid, "")["payment"] is None
    assert pdf.pdf_context(quote, "")["payment"] is None
    quote_text = squeezed(pages_text(pdf.render_pdf(quote))[0])
    assert "Offerte" in quote_text and "Gestructureerdemededeling" not in quote_text


@pytest.mark.django_db
def test_credit_note_and_other_document_titles(company):
    client = make_client(company, language="fr")
    invoice = make_finalized(company, client)
    credit_note = make_finalized(company, client, kind=DocumentKind.CREDIT_NOTE, corrects=invoice)
    other = make_finalized(company, client, kind=DocumentKind.OTHER, title="Bon de livraison")
    credit_text = squeezed(pages_text(pdf.render_pdf(credit_note))[0])
    assert squeezed(f"Cette note de crédit corrige la facture {invoice.number}.") in credit_text
    assert squeezed("Note de crédit") in credit_text
    assert "Bondelivraison" in squeezed(pages_text(pdf.render_pdf(other))[0])


@pytest.mark.django_db
def test_markup_in_text_is_shown_not_obeyed(company):
    client = make_client(company, name='Evil <img src="file:///etc/passwd"> & Co')
    document = make_finalized(company, client)
    text = pages_text(pdf.render_pdf(document))[0]
    assert 'Evil <img src="file:///etc/passwd"> & Co' in text


@pytest.mark.django_db
def test_logo_is_embedded(company):
    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#0a5").save(buffer, "PNG")
    company.logo.save("logo.png", ContentFile(buffer.getvalue()))
    assert pdf.logo_data_uri(company).startswith("data:image/png;base64,")
    reader = PdfReader(io.BytesIO(pdf.render_pdf(make_finalized(company))))
    assert len(reader.pages[0].images) == 1


def test_page_counter_follows_the_languages_word_order():
    from django.utils import translation

    with translation.override("fr"):
        assert pdf.page_counter_css() == '"Page " counter(page) " sur " counter(pages)'


def test_css_string_cannot_escape_the_style_element():
    assert (
        pdf.css_string('a"</style><script>')
        == '"a\\000022 \\00003c /style\\00003e \\00003c script\\00003e "'
    )


@pytest.mark.parametrize(
    "text", ['Smith & Sons "De Kroon" <BV>', "A & B", "tab\there", "x\\y & z", "Café & Zoë"]
)
def test_css_string_reads_back_as_the_same_text_spaces_included(text):
    [token] = [
        t for t in tinycss2.parse_component_value_list(pdf.css_string(text)) if t.type == "string"
    ]
    assert token.value == text


@pytest.mark.django_db
def test_epc_qr_code_carries_iban_amount_and_structured_communication(company, monkeypatch):
    import segno

    payloads = []
    make_qr = segno.make_qr

    def spy(content, **kwargs):
        payloads.append(content.decode() if isinstance(content, bytes) else content)
        return make_qr(content, **kwargs)

    monkeypatch.setattr(segno, "make_qr", spy)
    document = make_finalized(company, lines=[("2", "50", "S", "21")])
    pdf.epc_qr_data_uri(document, document.amount_due)
    (payload,) = payloads
    lines = payload.split("\n")
    assert lines[:2] == ["BCD", "002"] and lines[3] == "SCT"  # line 3: character set
    assert company.iban in lines and "EUR121" in payload
    assert document.structured_communication in lines


@pytest.mark.parametrize(
    ("language", "mark"), [("nl", "CONCEPT"), ("fr", "BROUILLON"), ("en", "DRAFT")]
)
@pytest.mark.django_db
def test_a_draft_renders_marked_as_draft_without_qr_code_or_structured_communication(
    company, language, mark
):
    draft = make_document(company, make_client(company, language=language))
    assert draft.number == "" and draft.amount_due > 0
    content = pdf.render_pdf(draft)
    text = squeezed(pages_text(content)[0])
    assert text.count(mark) == 2  # in the facts and in the title, where the number will be
    assert squeezed(LABELS[language][4]) not in text  # no structured communication
    with translation.override(language):
        scan_label = squeezed(gettext("Scan with your banking app"))
    assert scan_label not in text  # no QR code
    assert pdf.pdf_context(draft, "")["payment"]["qr"] == ""
    finalized_text = squeezed(pages_text(pdf.render_pdf(finalize(draft)))[0])
    assert scan_label in finalized_text and mark not in finalized_text
