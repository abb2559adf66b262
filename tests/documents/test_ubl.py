"""The Peppol BIS Billing 3.0 files pass all three layers of the official rules."""

import base64
import datetime
from decimal import Decimal

import pytest
from lxml import etree

from porto.documents.demo import seed_demo
from porto.documents.models import Document, DocumentKind
from porto.documents.rendering import ubl
from porto.documents.rendering.files import document_files, stored_pdf
from porto.documents.rendering.parties import buyer_of
from tests.einvoice_rules import NS, assert_valid, xpath
from tests.factories import make_client, make_finalized, make_foreign_client


@pytest.mark.django_db
def test_every_demo_invoice_and_credit_note_is_valid_peppol(validator):
    seed_demo()
    documents = Document.objects.filter(
        kind__in=[DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE]
    ).exclude(status=Document.Status.DRAFT)
    valid, refused, categories, failures = 0, 0, set(), []
    for document in documents.select_related("company", "corrects"):
        buyer = buyer_of(document)
        if buyer["kind"] == "person":
            # Peppol is for businesses: a private person gets a clear refusal, not a bad file.
            assert "private person" in ubl.ubl_problems(document)[0]
            refused += 1
            continue
        assert ubl.ubl_problems(document) == []
        report = validator.validate(ubl.render_ubl(document))
        if report.fatal:
            failures.append((document.number, [f.rule_id for f in report.fatal]))
        valid += 1
        categories |= {line.vat_category for line in document.lines.all()}
    assert failures == []
    assert valid + refused == documents.count() == 86
    assert valid >= 75
    assert {"S", "K", "AE"} <= categories
    assert documents.filter(kind=DocumentKind.CREDIT_NOTE).count() == 8


@pytest.mark.django_db
def test_belgian_domestic_invoice_carries_the_belgian_fields(company, validator):
    client = make_client(company)
    document = make_finalized(company, client, lines=[("8", "100", "S", "21")])
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, "cbc:CustomizationID/text()") == [ubl.CUSTOMIZATION_ID]
    assert xpath(xml, "cbc:ProfileID/text()") == [ubl.PROFILE_ID]
    assert xpath(xml, "//cac:AccountingSupplierParty//cbc:EndpointID/@schemeID") == ["0208"]
    assert xpath(xml, "//cac:AccountingSupplierParty//cbc:EndpointID/text()") == [
        company.kbo_number
    ]
    assert xpath(xml, "//cac:AccountingCustomerParty//cbc:EndpointID/text()") == [client.kbo_number]
    assert xpath(xml, "//cac:AccountingSupplierParty//cac:PartyTaxScheme/cbc:CompanyID/text()") == [
        company.vat_number
    ]
    assert xpath(
        xml, "//cac:AccountingCustomerParty//cac:PartyLegalEntity/cbc:CompanyID/@schemeID"
    ) == ["0208"]
    assert xpath(xml, "cac:PaymentMeans/cbc:PaymentMeansCode/text()") == ["58"]
    assert xpath(xml, "cac:PaymentMeans/cbc:PaymentID/text()") == [
        document.structured_communication
    ]
    assert xpath(xml, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == [company.iban]
    # Without the client's own reference, the document number is the buyer reference.
    assert xpath(xml, "cbc:BuyerReference/text()") == [document.number]
    assert xpath(xml, "cac:TaxTotal/cbc:TaxAmount/text()") == ["168.00"]
    assert xpath(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount/text()") == ["968.00"]


@pytest.mark.django_db
def test_buyer_reference_of_the_document_is_used(company, validator):
    document = make_finalized(company, buyer_reference="PO-7781")
    assert xpath(ubl.render_ubl(document), "cbc:BuyerReference/text()") == ["PO-7781"]


@pytest.mark.parametrize(
    ("category", "reason", "code"),
    [
        ("E", "Exempt, article 44 of the Belgian VAT Code", ""),
        ("AE", "Reverse charge, article 20 Royal Decree no. 1", "VATEX-EU-AE"),
        ("G", "Export outside the EU, article 39 of the Belgian VAT Code", "VATEX-EU-G"),
        ("Z", "", ""),
    ],
)
@pytest.mark.django_db
def test_zero_rate_categories_with_their_exemption_reasons(
    company, validator, category, reason, code
):
    lines = [("2", "250", category, "0", reason), ("1", "100", "S", "21")]
    if category == "Z":
        lines = [("2", "250", "Z", "0")]
    document = make_finalized(company, lines=lines)
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    subtotal = f"//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='{category}']/cac:TaxCategory"
    assert xpath(xml, f"{subtotal}/cbc:TaxExemptionReason/text()") == ([reason] if reason else [])
    assert xpath(xml, f"{subtotal}/cbc:TaxExemptionReasonCode/text()") == ([code] if code else [])


@pytest.mark.django_db
def test_intra_community_supply_to_a_french_client(company, validator):
    client = make_foreign_client(company, "FR", "FR40303265045", language="fr")
    reason = "Intra-community supply, article 39bis of the Belgian VAT Code"
    document = make_finalized(
        company,
        client,
        lines=[("3", "40", "K", "0", reason)],
        delivery_date=datetime.date(2026, 3, 1),
        deliver_to_street="Rue du Dépôt 4",
        deliver_to_postal_code="69001",
        deliver_to_city="Lyon",
        deliver_to_country="FR",
    )
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, "cac:Delivery/cbc:ActualDeliveryDate/text()") == ["2026-03-01"]
    assert xpath(xml, "cac:Delivery//cbc:CityName/text()") == ["Lyon"]
    assert xpath(xml, "//cac:AccountingCustomerParty//cbc:EndpointID/@schemeID") == ["9957"]
    assert xpath(xml, "//cac:AccountingCustomerParty//cac:PartyTaxScheme/cbc:CompanyID/text()") == [
        "FR40303265045"
    ]
    assert xpath(
        xml,
        "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode/text()",
    ) == ["FR"]
    assert xpath(xml, "//cac:TaxCategory/cbc:TaxExemptionReasonCode/text()") == ["VATEX-EU-IC"]
    assert xpath(xml, "cac:TaxTotal/cbc:TaxAmount/text()") == ["0.00"]


@pytest.mark.django_db
def test_not_subject_to_vat_leaves_out_vat_numbers(company, validator):
    document = make_finalized(company, lines=[("1", "500", "O", "0", "Outside the scope of VAT")])
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, "//cac:PartyTaxScheme") == []


@pytest.mark.django_db
def test_credit_note_refers_to_the_invoice_it_corrects(company, validator):
    client = make_client(company)
    invoice = make_finalized(company, client, lines=[("4", "75", "S", "21")])
    credit_note = make_finalized(
        company, client, kind=DocumentKind.CREDIT_NOTE, corrects=invoice,
        lines=[("1", "75", "S", "21")],
    )  # fmt: skip
    xml = ubl.render_ubl(credit_note)
    assert_valid(validator, xml)
    assert etree.fromstring(xml).tag.endswith("}CreditNote")
    assert xpath(xml, "cbc:CreditNoteTypeCode/text()") == ["381"]
    assert xpath(xml, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID/text()") == [
        invoice.number
    ]
    assert xpath(xml, "cac:CreditNoteLine/cbc:CreditedQuantity/text()") == ["1"]


@pytest.mark.django_db
def test_prepaid_amount_and_discount_line(company, validator):
    document = make_finalized(
        company, prepaid_amount=Decimal("100.00"),
        lines=[("3", "0.4269", "S", "21"), ("-1", "50", "S", "21"), ("10", "95", "S", "6")],
    )  # fmt: skip
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, "cac:LegalMonetaryTotal/cbc:PrepaidAmount/text()") == ["100.00"]
    assert xpath(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount/text()") == [
        f"{document.amount_due:.2f}"
    ]


@pytest.mark.django_db
def test_embedded_pdf_is_the_stored_pdf(company, with_rules):
    document = make_finalized(company)
    pdf_file, ubl_file = document_files(document, "pdf+ubl")
    assert pdf_file.content_type == "application/pdf"
    assert ubl_file.content_type == "application/xml"
    assert ubl_file.validation == "valid"
    embedded = xpath(
        ubl_file.content,
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject",
    )
    assert len(embedded) == 1
    obj = etree.fromstring(ubl_file.content).find(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS
    )
    assert obj.get("mimeCode") == "application/pdf"
    assert obj.get("filename") == pdf_file.filename
    assert base64.b64decode(obj.text) == pdf_file.content == stored_pdf(document).content


@pytest.mark.django_db
def test_ubl_alone_has_no_embedded_pdf_unless_asked(company, with_rules):
    document = make_finalized(company)
    (plain,) = document_files(document, "ubl")
    (embedded,) = document_files(document, "ubl", embed_pdf=True)
    assert xpath(plain.content, "cac:AdditionalDocumentReference") == []
    assert len(xpath(embedded.content, "cac:AdditionalDocumentReference")) == 1
