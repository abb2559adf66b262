"""The PDF a person reads: WeasyPrint from templates/documents/pdf/, in the client's language.

One template family serves every kind. A4, real text (selectable and searchable), the table
header repeated on every page and "page X of Y" in the footer. Invoices with an amount due carry
the payment instructions and a SEPA (EPC) QR code that banking apps read; a fully prepaid
invoice says it is paid in full and asks for nothing. A draft (the editor's preview) is marked
"DRAFT" where its number will be and has no QR code: it is not yet a request to pay.

WeasyPrint may fetch nothing: the logo and the QR code are embedded as data: URIs and the
fetcher refuses every other scheme, so a document's text cannot make the renderer read a
local file or call the network.
"""

import base64
import io
from decimal import Decimal

import segno.helpers
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from porto.accounts.models import LOGO_MAX_BYTES, Company
from porto.documents.codes import DEFAULT_EXEMPTION_TEXT, VATEX, reason_codes, unit_name
from porto.documents.models import AllowanceCharge, Document, DocumentKind, DocumentLine
from porto.documents.rendering import pdf_cache
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.rendering.parties import (
    buyer_of,
    delivery_address,
    payment_account,
    seller_of,
    xml_text,
)
from porto.documents.selectors import document_with_parts
from porto.documents.totals import Totals
from porto.lib.formatting import format_amount, format_date
from porto.lib.identifiers import format_iban, format_kbo

STYLESHEET = "documents/pdf/document.css"
LOGO_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
LOGO_MAX_PIXELS = 25_000_000
EPC_MAX_AMOUNT = Decimal("999999999.99")


def document_language(document: Document) -> str:
    buyer = buyer_of(document)
    language = buyer.get("language") or document.company.default_language
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_pdf(document: Document, language: str = "") -> bytes:
    """The PDF of ``document`` in ``language`` (default: the client's)."""
    document = document_with_parts(document)
    language = language or document_language(document)
    logo = logo_data_uri(document.company)
    with translation.override(language):
        html = render_to_string("documents/pdf/document.html", pdf_context(document, logo))
    fetcher = URLFetcher(allowed_protocols={"data"})
    # The stylesheet is the same for every document: parsed once (pdf_cache). Given to
    # WeasyPrint as a user stylesheet, it still wins over the browser defaults; the page's own
    # <style> only fills the footer's text.
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[pdf_cache.stylesheet(render_to_string(STYLESHEET))],
        font_config=pdf_cache.font_config(),
        cache=pdf_cache.image_cache(),
    )


def exemption_text(document: Document, category: str) -> str:
    """Why a VAT category charges none, as the PDF says it: the user's text, else the code's
    name, else the usual Belgian wording; empty for a category that charges VAT."""
    if category not in DEFAULT_EXEMPTION_TEXT:
        return ""
    given = document.exemption(category)
    if given["text"].strip():
        return given["text"]
    if given["code"] in VATEX:
        return str(VATEX[given["code"]][1])
    return str(DEFAULT_EXEMPTION_TEXT[category])


def pdf_context(document: Document, logo: str) -> dict:
    """Everything the template shows, already formatted for the active language."""
    seller = seller_of(document)
    buyer = buyer_of(document)
    totals = document.compute_totals()
    currency = document.currency
    lines = list(document.lines.all())
    return {
        "language": translation.get_language(),
        "document": document,
        "number": _("DRAFT") if document.is_draft else document.number,
        "seller": _safe(seller),
        "seller_kbo": format_kbo(seller["kbo_number"]) if seller.get("kbo_number") else "",
        "logo": logo,
        "buyer": _safe(buyer),
        "buyer_country": buyer.get("country", ""),
        "title": xml_text(document_title(document)),
        "note": xml_text(document.note),
        "issue_date": _date(document.issue_date),
        "due_date": _date(document.due_date) if document.kind == DocumentKind.INVOICE else "",
        "references": _references(document),
        "delivery": _safe(delivery_address(document)),
        "payment_terms": xml_text(document.payment_terms),
        "lines": [
            _line(line, net, currency) for line, net in zip(lines, totals.line_nets, strict=True)
        ],
        "vat_rows": [
            {
                "label": vat_table_label(sub.category, sub.rate),
                "taxable": amount(sub.taxable_amount, currency),
                "tax": amount(sub.tax_amount, currency),
            }
            for sub in totals.vat_breakdown
        ],
        "exemptions": sorted(
            {xml_text(exemption_text(document, s.category)) for s in totals.vat_breakdown} - {""}
        ),
        "totals": _totals(document, totals),
        "is_credit_note": document.kind == DocumentKind.CREDIT_NOTE and document.corrects,
        "paid_in_full": document.kind == DocumentKind.INVOICE and totals.fully_prepaid,
        "payment": _payment(document, totals.payable),
        "footer_css": css_string(_footer(seller)),
        "page_counter_css": page_counter_css(),
    }


def _safe(party: dict | None) -> dict | None:
    return None if party is None else {key: xml_text(value) for key, value in party.items()}


def _references(document: Document) -> list[tuple[str, str]]:
    """The facts under the number and date: (label, value), only those the document has."""
    rows = [
        (_("Your reference"), document.buyer_reference),
        (_("Order reference"), document.order_reference),
        (_("Delivery date"), _date(document.delivery_date)),
    ]
    return [(label, xml_text(value)) for label, value in rows if value]


def _totals(document: Document, totals: Totals) -> dict:
    currency = document.currency
    stored = list(document.allowance_charges.all())
    return {
        "lines": amount(totals.line_extension, currency),
        "adjustments": [
            _adjustment(adjustment, resolved.amount, resolved.base, currency)
            for adjustment, resolved in zip(stored, totals.adjustments, strict=True)
        ],
        "excl": amount(totals.tax_exclusive, currency),
        "vat": amount(totals.tax_total, currency),
        "incl": amount(totals.tax_inclusive, currency),
        "prepaid": amount(totals.prepaid, currency) if totals.prepaid else "",
        "due": amount(totals.payable, currency),
    }


def _adjustment(
    adjustment: AllowanceCharge, value: Decimal, base: Decimal | None, currency: str
) -> dict:
    """An allowance or charge as the PDF shows it: why, how it was worked out, how much."""
    reason = adjustment.reason.strip() or str(
        reason_codes(adjustment.is_charge).get(adjustment.reason_code, "")
    )
    if not reason:
        reason = _("Charge") if adjustment.is_charge else _("Allowance")
    detail = ""
    if adjustment.percentage is not None and base is not None:
        detail = _("%(percentage)s %% of %(base)s") % {
            "percentage": _number(adjustment.percentage),
            "base": amount(base, currency),
        }
    return {
        "reason": xml_text(reason),
        "detail": detail,
        "amount": amount(value if adjustment.is_charge else -value, currency),
    }


def document_title(document: Document) -> str:
    if document.kind == DocumentKind.OTHER and document.title:
        return document.title
    return {
        DocumentKind.INVOICE: _("Invoice"),
        DocumentKind.CREDIT_NOTE: _("Credit note"),
        DocumentKind.QUOTE: _("Quote"),
        DocumentKind.OTHER: _("Document"),
    }[DocumentKind(document.kind)]


def amount(value: Decimal, currency: str = "EUR") -> str:
    return format_amount(value, translation.get_language() or "en", currency)


def _number(value: Decimal) -> str:
    text = f"{Decimal(value).normalize():f}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _date(value) -> str:
    return format_date(value, translation.get_language() or "en")


# The VAT table has room for the category's name; the lines' narrow VAT column has not.
VAT_TABLE_LABELS = {
    "Z": gettext_lazy("0 % (zero rated)"),
    "E": gettext_lazy("Exempt from VAT"),
    "AE": gettext_lazy("Reverse charge"),
    "K": gettext_lazy("Intra-community supply"),
    "G": gettext_lazy("Export outside the EU"),
    "O": gettext_lazy("Not subject to VAT"),
}


def vat_table_label(category: str, rate: Decimal) -> str:
    if category == "S":
        return vat_label(category, rate)
    return str(VAT_TABLE_LABELS.get(category, category))


def vat_label(category: str, rate: Decimal) -> str:
    if category == "S":
        return f"{_number(rate)}\u00a0%"
    return {
        "Z": _("0 % (zero rated)"),
        "E": _("Exempt"),
        "AE": _("Reverse charge"),
        "K": _("Intra-community"),
        "G": _("Export"),
        "O": _("Not subject to VAT"),
    }.get(category, category)


def _line(line: DocumentLine, net: Decimal, currency: str) -> dict:
    price = line.unit_price
    decimals = max(2, -Decimal(price).normalize().as_tuple().exponent)  # type: ignore[operator]
    gross = line.amounts().gross_amount
    adjustments = []
    for stored in line.allowance_charges.all():
        adjustment = stored.adjustment()
        value, base = adjustment.resolved_amount(gross), adjustment.resolved_base(gross)
        adjustments.append(_adjustment(stored, value, base, currency))
    base_quantity = line.price_base_quantity
    return {
        "name": xml_text(line.name),
        "description": xml_text(line.description),
        "quantity": _number(line.quantity),
        "unit": unit_name(line.unit_code),
        "unit_price": formats.number_format(
            price, decimal_pos=decimals, use_l10n=True, force_grouping=True
        ),
        "per": _("per %(quantity)s") % {"quantity": _number(base_quantity)}
        if base_quantity != 1
        else "",
        "vat": vat_label(line.vat_category, line.vat_rate),
        "adjustments": adjustments,
        "amount": amount(net, currency),
    }


def _payment(document: Document, payable: Decimal) -> dict | None:
    iban, bic = payment_account(document)
    if document.kind != DocumentKind.INVOICE or payable <= 0 or not iban:
        return None
    return {
        "amount": amount(payable, document.currency),
        "due_date": _date(document.due_date),
        "beneficiary": xml_text(seller_of(document).get("name")),
        "iban": format_iban(iban),
        "bic": bic,
        "qr": "" if document.is_draft else epc_qr_data_uri(document, payable),
    }


def epc_qr_data_uri(document: Document, payable: Decimal) -> str:
    """The SEPA payment QR code (EPC069-12) as SVG, or "" where it does not apply."""
    if document.currency != "EUR" or not Decimal("0.01") <= payable <= EPC_MAX_AMOUNT:
        return ""
    iban, bic = payment_account(document)
    # Belgian banking apps read the structured communication from the remittance text.
    qr = segno.helpers.make_epc_qr(
        name=str(seller_of(document).get("name", ""))[:70],
        iban=iban,
        amount=payable,
        text=document.structured_communication or document.number,
        bic=bic or None,
    )
    return qr.svg_data_uri(scale=4, border=0)


def _footer(seller: dict) -> str:
    address = (
        f"{seller.get('street', '')}, {seller.get('postal_code', '')} {seller.get('city', '')}"
    )
    parts = [seller.get("name", ""), address]
    if seller.get("kbo_number"):
        parts.append(_("Enterprise number %(kbo)s") % {"kbo": format_kbo(seller["kbo_number"])})
    if seller.get("iban"):
        parts.append(f"IBAN {format_iban(seller['iban'])}")
    if seller.get("bic"):
        parts.append(f"BIC {seller['bic']}")
    return " · ".join(xml_text(part) for part in parts)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string that cannot end the string or the <style> element.

    Each escape ends with a space: CSS reads one whitespace after a hex escape as its end, so
    without it the space after "&" in "Smith & Sons" would be lost."""
    escaped = "".join(
        f"\\{ord(char):06x} " if char in '"\\<>&\n\r' or ord(char) < 32 else char for char in text
    )
    return f'"{escaped}"'


def page_counter_css() -> str:
    """CSS ``content`` for "page X of Y" in the active language, word order included."""
    pattern = _("Page %(page)s of %(pages)s")
    marker_page, marker_pages = "\x00page\x00", "\x00pages\x00"
    filled = pattern % {"page": marker_page, "pages": marker_pages}
    pieces: list[str] = []
    for chunk in filled.split("\x00"):
        if chunk in ("page", "pages"):
            pieces.append(f"counter({chunk})")
        elif chunk:
            pieces.append(css_string(chunk))
    return " ".join(pieces)


def logo_data_uri(company: Company) -> str:
    """The company logo as a data: URI, or "" without a logo. Raises DocumentFileError when
    the stored logo is too large or is not an image (a file can reach storage without the
    upload form's checks)."""
    if not company.logo:
        return ""
    try:
        with company.logo.open("rb") as file:
            data = file.read(LOGO_MAX_BYTES + 1)
    except OSError as error:
        raise DocumentFileError(
            _("The company logo cannot be read (%(reason)s): upload it again on the Company page.")
            % {"reason": error.strerror or error},
            code="logo_unreadable",
        ) from error
    if len(data) > LOGO_MAX_BYTES:
        raise DocumentFileError(
            _(
                "The company logo is larger than %(max)d KB: upload a smaller logo (PNG or "
                "JPEG) on the Company page."
            )
            % {"max": LOGO_MAX_BYTES // 1024},
            code="logo_size",
        )
    return pdf_cache.logo_data_uri(data, _encoded_logo)


def _encoded_logo(data: bytes) -> str:
    mime = _image_type(data)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _image_type(data: bytes) -> str:
    not_an_image = DocumentFileError(
        _(
            "The company logo is not an image Porto can use: upload it again on the Company "
            "page as PNG, JPEG, GIF or WebP."
        ),
        code="logo_not_image",
    )
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise not_an_image from error
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    if kind not in LOGO_FORMATS:
        raise not_an_image
    if width * height > LOGO_MAX_PIXELS:
        raise _too_many_pixels()
    return LOGO_FORMATS[kind]


def _too_many_pixels() -> DocumentFileError:
    return DocumentFileError(
        _("The company logo has too many pixels: upload a logo of at most 5000 by 5000 pixels."),
        code="logo_size",
    )
