"""Peppol BIS Billing 3.0 (UBL 2.1) for invoices and credit notes, written with lxml.

``ubl_problems`` lists, in words a person can act on, what keeps a document from becoming a
valid Peppol file (checked before writing, so the user sees the cause rather than a rule id);
``render_ubl`` writes the file. Elements follow the UBL schema's order, and empty values are
left out (Peppol refuses empty elements).
"""

import base64
import datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from lxml import etree

from porto.documents.codes import reason_codes
from porto.documents.models import (
    CATEGORIES_NEEDING_REASON,
    UBL_KINDS,
    AllowanceCharge,
    Document,
    DocumentKind,
    DocumentLine,
)
from porto.documents.rendering.parties import (
    KBO_SCHEME,
    buyer_endpoint,
    buyer_of,
    delivery_address,
    is_business,
    payment_account,
    seller_of,
    xml_text,
)
from porto.documents.selectors import document_with_parts
from porto.documents.services import exemption_problems
from porto.documents.totals import ResolvedAdjustment, Totals, VatSubtotal

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ROOTS = {
    DocumentKind.INVOICE: ("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "Invoice"),
    DocumentKind.CREDIT_NOTE: (
        "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
        "CreditNote",
    ),
}
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SEPA_CREDIT_TRANSFER, CREDIT_TRANSFER = "58", "30"
SEPA_COUNTRIES = set(
    [
        "AD",
        "AT",
        "BE",
        "BG",
        "CH",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GB",
        "GI",
        "GR",
        "HR",
        "HU",
        "IE",
        "IS",
        "IT",
        "LI",
        "LT",
        "LU",
        "LV",
        "MC",
        "MT",
        "NL",
        "NO",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "SM",
        "VA",
    ]
)


# -- what keeps a document from becoming UBL ---------------------------------------------------


def ubl_problems(document: Document) -> list[str]:
    """Everything that keeps ``document`` from becoming a valid Peppol file."""
    if document.kind not in UBL_KINDS:
        return [
            _("UBL exists only for invoices and credit notes; send this %(kind)s as PDF.")
            % {"kind": document.get_kind_display().lower()}
        ]
    problems = []
    if document.is_draft:
        problems.append(_("Finalize the document first: a draft has no number yet."))
    if document.currency != "EUR":
        problems.append(
            _("Porto issues UBL in EUR only; this document is in %(currency)s.")
            % {"currency": document.currency}
        )
    problems.extend(_buyer_problems(document))
    problems.extend(_seller_problems(document))
    problems.extend(_lines_problems(list(document.lines.all())))
    problems.extend(problem.message for problem in exemption_problems(document))
    return problems


def _buyer_problems(document: Document) -> list[str]:
    buyer = buyer_of(document)
    if not buyer:
        return [_("Choose a client: UBL needs one.")]
    later = (
        ""
        if document.is_draft
        else " "
        + _(
            "A finalized document keeps the client data it had, so send this one as PDF, "
            "or credit it and issue it again."
        )
    )
    problems = []
    has_id = buyer.get("vat_number") or buyer.get("kbo_number") or buyer.get("peppol_id")
    if not is_business(buyer) and not has_id:
        problems.append(
            _(
                "%(name)s is a private person without a VAT or KBO number: UBL (Peppol) is for "
                "businesses."
            )
            % {"name": buyer.get("name", "")}
            + later
        )
    elif not has_id or buyer_endpoint(buyer) is None:
        problems.append(
            _("The client has no VAT number or KBO number: required for UBL. Add it to the client.")
            + later
        )
    missing = [key for key in ("street", "postal_code", "city", "country") if not buyer.get(key)]
    if missing:
        problems.append(
            _(
                "The client has no complete address (street, postal code, city and country): "
                "required for UBL. Add it to the client."
            )
            + later
        )
    return problems


def _seller_problems(document: Document) -> list[str]:
    seller = seller_of(document)
    problems = []
    if not seller.get("kbo_number"):
        problems.append(_("Your company has no KBO/BCE number: add it on the Company page."))
    if not all(seller.get(key) for key in ("street", "postal_code", "city", "country")):
        problems.append(_("Your company's address is incomplete: complete it on the Company page."))
    if _asks_for_payment(document) and not payment_account(document)[0]:
        problems.append(_("Your company has no IBAN for payments: add it on the Company page."))
    return problems


def _asks_for_payment(document: Document) -> bool:
    """An invoice with something left to pay: a fully prepaid one needs no payment means."""
    return document.kind == DocumentKind.INVOICE and document.compute_totals().payable > 0


def _lines_problems(lines: list[DocumentLine]) -> list[str]:
    if not lines:
        return [_("The document has no lines: add at least one line.")]
    problems = []
    for index, line in enumerate(lines, start=1):
        if line.quantity == 0:
            problems.append(
                _("Line %(n)d has quantity 0: give a quantity or remove the line.") % {"n": index}
            )
    return problems


# -- writing -----------------------------------------------------------------------------------


def _add(parent: etree._Element, tag: str, text: object = None, **attributes: str):
    """Append cbc:/cac:``tag``; a cbc element without a value is left out (Peppol R008)."""
    prefix, name = tag.split(":")
    if prefix == "cbc":
        value = xml_text(text)
        if not value:
            return None
        element = etree.SubElement(parent, f"{{{CBC}}}{name}", attributes)
        element.text = value
        return element
    return etree.SubElement(parent, f"{{{CAC}}}{name}", attributes)


def money(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 7.5, 21, 0.4269."""
    text = f"{Decimal(value).normalize():f}"
    return text


def render_ubl(document: Document, *, pdf: bytes | None = None, pdf_filename: str = "") -> bytes:
    """The Peppol BIS Billing 3.0 file of an invoice or credit note. ``pdf`` embeds the PDF."""
    document = document_with_parts(document)
    namespace, root_name = ROOTS[DocumentKind(document.kind)]
    root = etree.Element(
        f"{{{namespace}}}{root_name}", nsmap={None: namespace, "cac": CAC, "cbc": CBC}
    )
    totals = document.compute_totals()
    lines = list(document.lines.all())
    buyer = buyer_of(document)
    not_subject = any(sub.category == "O" for sub in totals.vat_breakdown)
    _header(root, document)
    if pdf is not None:
        _embedded_pdf(root, document, pdf, pdf_filename)
    _supplier(root, seller_of(document), with_vat=not not_subject)
    _customer(root, buyer, with_vat=not not_subject)
    if document.delivery_date or document.has_delivery_address:
        _delivery(root, document)
    if document.kind == DocumentKind.INVOICE and totals.payable > 0:
        _payment_means(root, document)
    if document.payment_terms.strip():
        _add(_add(root, "cac:PaymentTerms"), "cbc:Note", document.payment_terms)
    for adjustment, stored in zip(
        totals.adjustments, document.allowance_charges.all(), strict=True
    ):
        _document_allowance_charge(root, adjustment, stored, document.currency)
    _tax_total(root, totals, document)
    _monetary_total(root, totals, document.currency)
    for index, (line, net) in enumerate(zip(lines, totals.line_nets, strict=True), start=1):
        _line(root, document, index, line, net)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _header(root: etree._Element, document: Document) -> None:
    is_invoice = document.kind == DocumentKind.INVOICE
    _add(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _add(root, "cbc:ProfileID", PROFILE_ID)
    _add(root, "cbc:ID", document.number)
    _add(root, "cbc:IssueDate", _date(document.issue_date))
    if is_invoice:
        _add(root, "cbc:DueDate", _date(document.due_date))
        _add(root, "cbc:InvoiceTypeCode", "380")
    else:
        _add(root, "cbc:CreditNoteTypeCode", "381")
    _add(root, "cbc:Note", document.note)
    _add(root, "cbc:DocumentCurrencyCode", document.currency)
    # Peppol wants a buyer reference or an order reference (PEPPOL-EN16931-R003); without
    # the client's own reference, ours is the one both sides know.
    _add(root, "cbc:BuyerReference", document.buyer_reference or document.number)
    if document.order_reference:
        _add(_add(root, "cac:OrderReference"), "cbc:ID", document.order_reference)
    corrected = document.corrects
    if document.kind == DocumentKind.CREDIT_NOTE and corrected is not None:
        reference = _add(_add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _add(reference, "cbc:ID", corrected.number)
        _add(reference, "cbc:IssueDate", _date(corrected.issue_date))


def _date(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


def _embedded_pdf(root: etree._Element, document: Document, pdf: bytes, filename: str) -> None:
    reference = _add(root, "cac:AdditionalDocumentReference")
    _add(reference, "cbc:ID", document.number)
    _add(reference, "cbc:DocumentDescription", f"{document.display_title} {document.number}")
    attachment = _add(reference, "cac:Attachment")
    _add(
        attachment,
        "cbc:EmbeddedDocumentBinaryObject",
        base64.b64encode(pdf).decode("ascii"),
        mimeCode="application/pdf",
        filename=filename or f"{document.number}.pdf",
    )


def _supplier(root: etree._Element, seller: dict, *, with_vat: bool) -> None:
    party = _add(_add(root, "cac:AccountingSupplierParty"), "cac:Party")
    _add(party, "cbc:EndpointID", seller.get("kbo_number"), schemeID=KBO_SCHEME)
    _add(_add(party, "cac:PartyName"), "cbc:Name", seller.get("name"))
    _address(party, seller)
    if with_vat and seller.get("vat_number"):
        _tax_scheme(party, seller["vat_number"])
    legal = _add(party, "cac:PartyLegalEntity")
    _add(legal, "cbc:RegistrationName", seller.get("name"))
    _add(legal, "cbc:CompanyID", seller.get("kbo_number"), schemeID=KBO_SCHEME)
    contact = _add(party, "cac:Contact")
    _add(contact, "cbc:Telephone", seller.get("phone"))
    _add(contact, "cbc:ElectronicMail", seller.get("email"))
    if not len(contact):
        party.remove(contact)


def _customer(root: etree._Element, buyer: dict, *, with_vat: bool) -> None:
    party = _add(_add(root, "cac:AccountingCustomerParty"), "cac:Party")
    endpoint = buyer_endpoint(buyer)
    if endpoint is not None:
        _add(party, "cbc:EndpointID", endpoint[1], schemeID=endpoint[0])
    _add(_add(party, "cac:PartyName"), "cbc:Name", buyer.get("name"))
    _address(party, buyer)
    if with_vat and buyer.get("vat_number"):
        _tax_scheme(party, buyer["vat_number"])
    legal = _add(party, "cac:PartyLegalEntity")
    _add(legal, "cbc:RegistrationName", buyer.get("name"))
    if buyer.get("kbo_number") and buyer.get("country") == "BE":
        _add(legal, "cbc:CompanyID", buyer["kbo_number"], schemeID=KBO_SCHEME)
    elif buyer.get("legal_id"):
        # BT-47 of a foreign client: its number in its own register, scheme unknown to us.
        _add(legal, "cbc:CompanyID", buyer["legal_id"])
    contact = _add(party, "cac:Contact")
    _add(contact, "cbc:Name", buyer.get("contact_name"))
    _add(contact, "cbc:ElectronicMail", buyer.get("email"))
    if not len(contact):
        party.remove(contact)


def _address(party, who: dict) -> None:
    _address_fields(_add(party, "cac:PostalAddress"), who)


def _address_fields(address, who: dict) -> None:
    _add(address, "cbc:StreetName", who.get("street"))
    _add(address, "cbc:AdditionalStreetName", who.get("street2"))
    _add(address, "cbc:CityName", who.get("city"))
    _add(address, "cbc:PostalZone", who.get("postal_code"))
    _add(_add(address, "cac:Country"), "cbc:IdentificationCode", who.get("country"))


def _tax_scheme(party, vat_number: str) -> None:
    scheme = _add(party, "cac:PartyTaxScheme")
    _add(scheme, "cbc:CompanyID", vat_number)
    _add(_add(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")


def _delivery(root: etree._Element, document: Document) -> None:
    """When and where the goods went (BG-13), as the user gave them. An intra-community supply
    cannot be finalized without them (BR-IC-11, BR-IC-12)."""
    delivery = _add(root, "cac:Delivery")
    _add(delivery, "cbc:ActualDeliveryDate", _date(document.delivery_date))
    destination = delivery_address(document) or {}
    if document.has_delivery_address:
        _address_fields(_add(_add(delivery, "cac:DeliveryLocation"), "cac:Address"), destination)
    if destination.get("name"):
        party = _add(delivery, "cac:DeliveryParty")
        _add(_add(party, "cac:PartyName"), "cbc:Name", destination["name"])


def _payment_means(root: etree._Element, document: Document) -> None:
    iban, bic = payment_account(document)
    sepa = iban[:2] in SEPA_COUNTRIES
    means = _add(root, "cac:PaymentMeans")
    _add(
        means,
        "cbc:PaymentMeansCode",
        SEPA_CREDIT_TRANSFER if sepa else CREDIT_TRANSFER,
        name="SEPA credit transfer" if sepa else "Credit transfer",
    )
    _add(means, "cbc:PaymentID", document.structured_communication or document.number)
    account = _add(means, "cac:PayeeFinancialAccount")
    _add(account, "cbc:ID", iban)
    _add(account, "cbc:Name", seller_of(document).get("name"))
    if bic:
        _add(_add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", bic)


def _allowance_charge(
    parent: etree._Element,
    stored: AllowanceCharge,
    amount: Decimal,
    base: Decimal | None,
    currency: str,
) -> etree._Element:
    """BG-20/21 (document) or BG-27/28 (line): indicator, reason, percentage, amount, base."""
    element = _add(parent, "cac:AllowanceCharge")
    _add(element, "cbc:ChargeIndicator", "true" if stored.is_charge else "false")
    _add(element, "cbc:AllowanceChargeReasonCode", stored.reason_code)
    reason = stored.reason.strip() or reason_codes(stored.is_charge).get(stored.reason_code, "")
    _add(element, "cbc:AllowanceChargeReason", reason)
    if stored.percentage is not None:
        _add(element, "cbc:MultiplierFactorNumeric", plain(stored.percentage))
    _add(element, "cbc:Amount", money(amount), currencyID=currency)
    if stored.percentage is not None and base is not None:
        _add(element, "cbc:BaseAmount", money(base), currencyID=currency)
    return element


def _document_allowance_charge(
    root: etree._Element, adjustment: ResolvedAdjustment, stored: AllowanceCharge, currency: str
) -> None:
    element = _allowance_charge(root, stored, adjustment.amount, adjustment.base, currency)
    sub = VatSubtotal(adjustment.vat_category, adjustment.vat_rate, Decimal(0), Decimal(0))
    _tax_category(element, "cac:TaxCategory", sub)


def _tax_total(root: etree._Element, totals: Totals, document: Document) -> None:
    currency = document.currency
    tax_total = _add(root, "cac:TaxTotal")
    _add(tax_total, "cbc:TaxAmount", money(totals.tax_total), currencyID=currency)
    for sub in totals.vat_breakdown:
        subtotal = _add(tax_total, "cac:TaxSubtotal")
        _add(subtotal, "cbc:TaxableAmount", money(sub.taxable_amount), currencyID=currency)
        _add(subtotal, "cbc:TaxAmount", money(sub.tax_amount), currencyID=currency)
        _tax_category(subtotal, "cac:TaxCategory", sub, document.exemption(sub.category))


def _tax_category(parent, tag: str, sub: VatSubtotal, exemption: dict | None = None) -> None:
    category = _add(parent, tag)
    _add(category, "cbc:ID", sub.category)
    if sub.category != "O":
        _add(category, "cbc:Percent", plain(sub.rate))
    if exemption and sub.category in CATEGORIES_NEEDING_REASON:
        _add(category, "cbc:TaxExemptionReasonCode", exemption["code"])
        _add(category, "cbc:TaxExemptionReason", exemption["text"])
    _add(_add(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _monetary_total(root: etree._Element, totals: Totals, currency: str) -> None:
    total = _add(root, "cac:LegalMonetaryTotal")
    _add(total, "cbc:LineExtensionAmount", money(totals.line_extension), currencyID=currency)
    _add(total, "cbc:TaxExclusiveAmount", money(totals.tax_exclusive), currencyID=currency)
    _add(total, "cbc:TaxInclusiveAmount", money(totals.tax_inclusive), currencyID=currency)
    if totals.adjustments:
        for name, value in (
            ("cbc:AllowanceTotalAmount", totals.allowance_total),
            ("cbc:ChargeTotalAmount", totals.charge_total),
        ):
            _add(total, name, money(value), currencyID=currency)
    if totals.prepaid:
        _add(total, "cbc:PrepaidAmount", money(totals.prepaid), currencyID=currency)
    _add(total, "cbc:PayableAmount", money(totals.payable), currencyID=currency)


def _line(
    root: etree._Element, document: Document, index: int, line: DocumentLine, net: Decimal
) -> None:
    is_invoice = document.kind == DocumentKind.INVOICE
    currency = document.currency
    element = _add(root, "cac:InvoiceLine" if is_invoice else "cac:CreditNoteLine")
    _add(element, "cbc:ID", str(index))
    _add(
        element,
        "cbc:InvoicedQuantity" if is_invoice else "cbc:CreditedQuantity",
        plain(line.quantity),
        unitCode=line.unit_code,
    )
    _add(element, "cbc:LineExtensionAmount", money(net), currencyID=currency)
    gross = line.amounts().gross_amount
    for stored in line.allowance_charges.all():
        adjustment = stored.adjustment()
        amount = adjustment.resolved_amount(gross)
        _allowance_charge(element, stored, amount, adjustment.resolved_base(gross), currency)
    item = _add(element, "cac:Item")
    _add(item, "cbc:Description", line.description)
    _add(item, "cbc:Name", line.name)
    sub = VatSubtotal(line.vat_category, line.vat_rate, Decimal(0), Decimal(0))
    _tax_category(item, "cac:ClassifiedTaxCategory", sub)
    price = _add(element, "cac:Price")
    _add(price, "cbc:PriceAmount", plain(line.unit_price), currencyID=currency)
    if line.price_base_quantity != 1:
        _add(price, "cbc:BaseQuantity", plain(line.price_base_quantity), unitCode=line.unit_code)
