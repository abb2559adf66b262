"""Every field of a document reaches its Peppol BIS Billing 3.0 file, and the file passes the
official rules (XSD, EN 16931 and Peppol Schematron) with no failed assert."""

import datetime
from decimal import Decimal

import pytest
from django.db import models

from porto.documents.models import Document
from porto.documents.rendering import ubl
from porto.documents.rendering.parties import seller_of
from tests.documents.rich_documents import (
    credit_note_with_allowances,
    fully_prepaid_invoice,
    intra_community_invoice,
)
from tests.einvoice_rules import assert_valid, xpath
from tests.factories import make_client, make_document, make_finalized

TOTAL = "cac:LegalMonetaryTotal"


@pytest.fixture
def intra_community(company, validator):
    document = intra_community_invoice(company)
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    return document, xml


@pytest.mark.django_db
def test_line_item_name_description_unit_and_base_quantity(intra_community):
    _, xml = intra_community
    first = "cac:InvoiceLine[cbc:ID='1']"
    assert xpath(xml, f"{first}/cac:Item/cbc:Name/text()") == ["Étiquettes 50 x 30 mm"]
    assert xpath(xml, f"{first}/cac:Item/cbc:Description/text()") == [
        "Rouleaux de 1 000, papier thermique"
    ]
    assert xpath(xml, f"{first}/cbc:InvoicedQuantity/@unitCode") == ["C62"]
    assert xpath(xml, f"{first}/cbc:InvoicedQuantity/text()") == ["2500"]
    assert xpath(xml, f"{first}/cac:Price/cbc:PriceAmount/text()") == ["45.5"]
    assert xpath(xml, f"{first}/cac:Price/cbc:BaseQuantity/text()") == ["1000"]
    assert xpath(xml, f"{first}/cac:Price/cbc:BaseQuantity/@unitCode") == ["C62"]
    assert xpath(xml, f"{first}/cbc:LineExtensionAmount/text()") == ["113.75"]
    second = "cac:InvoiceLine[cbc:ID='2']"
    assert xpath(xml, f"{second}/cbc:InvoicedQuantity/@unitCode") == ["HUR"]
    assert xpath(xml, f"{second}/cac:Item/cbc:Description") == []
    assert xpath(xml, f"{second}/cac:Price/cbc:BaseQuantity") == []


@pytest.mark.django_db
def test_line_allowance_with_reason_percentage_amount_and_base(intra_community):
    _, xml = intra_community
    charge = "cac:InvoiceLine[cbc:ID='2']/cac:AllowanceCharge"
    assert xpath(xml, f"{charge}/cbc:ChargeIndicator/text()") == ["false"]
    assert xpath(xml, f"{charge}/cbc:AllowanceChargeReasonCode/text()") == ["95"]
    assert xpath(xml, f"{charge}/cbc:AllowanceChargeReason/text()") == ["Remise"]
    assert xpath(xml, f"{charge}/cbc:MultiplierFactorNumeric/text()") == ["10"]
    assert xpath(xml, f"{charge}/cbc:Amount/text()") == ["18.75"]
    assert xpath(xml, f"{charge}/cbc:BaseAmount/text()") == ["187.50"]
    assert xpath(xml, "cac:InvoiceLine[cbc:ID='2']/cbc:LineExtensionAmount/text()") == ["168.75"]


@pytest.mark.django_db
def test_document_allowance_and_charge_with_their_vat_category_and_totals(intra_community):
    _, xml = intra_community
    allowance = "cac:AllowanceCharge[cbc:ChargeIndicator='false']"
    assert xpath(xml, f"{allowance}/cbc:AllowanceChargeReason/text()") == ["Remise de fidélité"]
    assert xpath(xml, f"{allowance}/cbc:MultiplierFactorNumeric/text()") == ["5"]
    assert xpath(xml, f"{allowance}/cbc:Amount/text()") == ["14.13"]
    assert xpath(xml, f"{allowance}/cbc:BaseAmount/text()") == ["282.50"]
    assert xpath(xml, f"{allowance}/cac:TaxCategory/cbc:ID/text()") == ["K"]
    charge = "cac:AllowanceCharge[cbc:ChargeIndicator='true']"
    assert xpath(xml, f"{charge}/cbc:AllowanceChargeReasonCode/text()") == ["FC"]
    assert xpath(xml, f"{charge}/cbc:Amount/text()") == ["25.00"]
    assert xpath(xml, f"{charge}/cbc:BaseAmount") == []
    assert xpath(xml, f"{TOTAL}/cbc:AllowanceTotalAmount/text()") == ["14.13"]
    assert xpath(xml, f"{TOTAL}/cbc:ChargeTotalAmount/text()") == ["25.00"]
    assert xpath(xml, "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount/text()") == ["293.37"]


@pytest.mark.django_db
def test_vatex_code_references_delivery_and_payment_terms(intra_community):
    _, xml = intra_community
    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory"
    assert xpath(xml, f"{category}/cbc:TaxExemptionReasonCode/text()") == ["VATEX-EU-IC"]
    assert xpath(xml, "cbc:BuyerReference/text()") == ["ACH-2026-0042"]
    assert xpath(xml, "cac:OrderReference/cbc:ID/text()") == ["BC-7781"]
    assert xpath(xml, "cbc:Note/text()") == ["Livraison en deux colis."]
    assert xpath(xml, "cac:PaymentTerms/cbc:Note/text()") == ["30 jours fin de mois"]
    delivery = "cac:Delivery"
    assert xpath(xml, f"{delivery}/cbc:ActualDeliveryDate/text()") == ["2026-03-02"]
    address = f"{delivery}/cac:DeliveryLocation/cac:Address"
    assert xpath(xml, f"{address}/cbc:StreetName/text()") == ["Rue du Dépôt 4"]
    assert xpath(xml, f"{address}/cbc:AdditionalStreetName/text()") == ["Quai de chargement 3"]
    assert xpath(xml, f"{address}/cbc:PostalZone/text()") == ["69007"]
    assert xpath(xml, f"{address}/cac:Country/cbc:IdentificationCode/text()") == ["FR"]
    assert xpath(xml, f"{delivery}/cac:DeliveryParty/cac:PartyName/cbc:Name/text()") == [
        "Entrepôt Lyon Sud"
    ]


@pytest.mark.django_db
def test_payment_account_of_the_document_and_buyer_line_2_and_foreign_legal_id(intra_community):
    _, xml = intra_community
    account = "cac:PaymentMeans/cac:PayeeFinancialAccount"
    assert xpath(xml, f"{account}/cbc:ID/text()") == ["BE71096123456769"]
    assert xpath(xml, f"{account}/cac:FinancialInstitutionBranch/cbc:ID/text()") == ["GKCCBEBB"]
    buyer = "cac:AccountingCustomerParty/cac:Party"
    assert xpath(xml, f"{buyer}/cac:PostalAddress/cbc:AdditionalStreetName/text()") == [
        "Bâtiment B"
    ]
    assert xpath(xml, f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID/text()") == ["303265045"]
    assert xpath(xml, f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID/@schemeID") == []


@pytest.mark.django_db
def test_belgian_client_keeps_its_kbo_with_scheme_0208_as_legal_id(company, validator):
    client = make_client(company, legal_id="ignored for Belgium")
    xml = ubl.render_ubl(make_finalized(company, client))
    assert_valid(validator, xml)
    legal = "cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID"
    assert xpath(xml, f"{legal}/text()") == [client.kbo_number]
    assert xpath(xml, f"{legal}/@schemeID") == ["0208"]


@pytest.mark.django_db
def test_delivery_date_and_address_reach_a_domestic_invoice_too(company, validator):
    document = make_finalized(
        company,
        delivery_date=datetime.date(2026, 4, 1),
        deliver_to_street="Werfstraat 9",
        deliver_to_postal_code="8400",
        deliver_to_city="Oostende",
        deliver_to_country="BE",
    )
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, "cac:Delivery/cbc:ActualDeliveryDate/text()") == ["2026-04-01"]
    assert xpath(xml, "cac:Delivery//cac:Address/cbc:CityName/text()") == ["Oostende"]


@pytest.mark.django_db
def test_invoice_without_delivery_data_has_no_delivery(company, validator):
    xml = ubl.render_ubl(make_finalized(company))
    assert_valid(validator, xml)
    assert xpath(xml, "cac:Delivery") == []
    assert xpath(xml, "cac:PaymentTerms") == []
    assert xpath(xml, "cac:OrderReference") == []


@pytest.mark.django_db
def test_seller_comes_from_the_snapshot_taken_at_finalization(company, validator):
    document = make_finalized(company)
    old_name, old_iban = company.name, company.iban
    company.name, company.iban, company.street = "Acme Renamed BV", "BE68539007547034", "Nieuw 2"
    company.save()
    document = Document.objects.get(pk=document.pk)
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    supplier = "cac:AccountingSupplierParty/cac:Party"
    assert xpath(xml, f"{supplier}/cac:PartyName/cbc:Name/text()") == [old_name]
    assert xpath(xml, f"{supplier}/cac:PostalAddress/cbc:StreetName/text()") == ["Kerkstraat 1"]
    assert xpath(xml, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == [old_iban]


@pytest.mark.django_db
def test_document_finalized_before_seller_snapshots_uses_the_company(company, validator):
    document = make_finalized(company)
    # Written around the finalized-document guard, as rows from before the snapshot look.
    models.QuerySet.update(Document.objects.filter(pk=document.pk), seller_snapshot={})
    document = Document.objects.get(pk=document.pk)
    assert seller_of(document)["name"] == company.name
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID/text()") == [company.iban]


@pytest.mark.django_db
def test_draft_takes_the_live_company_as_seller(company):
    draft = make_document(company, make_client(company))
    company.name = "Acme Live BV"
    company.save()
    assert seller_of(Document.objects.get(pk=draft.pk))["name"] == "Acme Live BV"


@pytest.mark.django_db
def test_credit_note_with_line_and_document_allowances_is_valid(company, validator):
    credit = credit_note_with_allowances(company)
    xml = ubl.render_ubl(credit)
    assert_valid(validator, xml)
    line = "cac:CreditNoteLine[cbc:ID='1']"
    assert xpath(xml, f"{line}/cac:AllowanceCharge/cbc:ChargeIndicator/text()") == ["true"]
    assert xpath(xml, f"{line}/cac:AllowanceCharge/cbc:Amount/text()") == ["5.00"]
    assert xpath(xml, f"{line}/cbc:CreditedQuantity/@unitCode") == ["XBX"]
    coffee = "cac:CreditNoteLine[cbc:ID='2']/cac:AllowanceCharge"
    assert xpath(xml, f"{coffee}/cbc:MultiplierFactorNumeric/text()") == ["2.5"]
    assert xpath(xml, f"{coffee}/cbc:BaseAmount/text()") == ["33.33"]
    assert xpath(xml, f"{coffee}/cbc:Amount/text()") == ["0.83"]
    assert xpath(xml, "cac:AllowanceCharge/cbc:Amount/text()") == ["10.00"]
    assert xpath(xml, "cac:AllowanceCharge/cac:TaxCategory/cbc:Percent/text()") == ["21"]
    assert xpath(xml, f"{TOTAL}/cbc:AllowanceTotalAmount/text()") == ["10.00"]
    assert xpath(xml, f"{TOTAL}/cbc:ChargeTotalAmount/text()") == ["0.00"]


@pytest.mark.django_db
def test_fully_prepaid_invoice_pays_nothing_and_asks_for_no_payment(company, validator):
    document = fully_prepaid_invoice(company)
    assert document.due_date is None and document.structured_communication == ""
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)
    assert xpath(xml, f"{TOTAL}/cbc:PrepaidAmount/text()") == ["121.00"]
    assert xpath(xml, f"{TOTAL}/cbc:PayableAmount/text()") == ["0.00"]
    assert xpath(xml, "cac:PaymentMeans") == []
    assert xpath(xml, "cbc:DueDate") == []


@pytest.mark.django_db
def test_fully_prepaid_invoice_needs_no_iban(company, validator):
    document = fully_prepaid_invoice(company)
    models.QuerySet.update(Document.objects.filter(pk=document.pk), seller_snapshot={})
    company.iban = ""
    company.save()
    document = Document.objects.get(pk=document.pk)
    assert ubl.ubl_problems(document) == []
    assert_valid(validator, ubl.render_ubl(document))


@pytest.mark.parametrize(
    "build", [intra_community_invoice, credit_note_with_allowances, fully_prepaid_invoice]
)
@pytest.mark.django_db
def test_every_amount_in_the_file_equals_compute_totals(company, validator, build):
    document = build(company)
    totals = document.compute_totals()
    xml = ubl.render_ubl(document)
    assert_valid(validator, xml)

    def amount(path: str) -> Decimal:
        values = xpath(xml, f"{path}/text()")
        return Decimal(values[0]) if values else Decimal("0.00")

    assert amount(f"{TOTAL}/cbc:LineExtensionAmount") == totals.line_extension
    assert amount(f"{TOTAL}/cbc:AllowanceTotalAmount") == totals.allowance_total
    assert amount(f"{TOTAL}/cbc:ChargeTotalAmount") == totals.charge_total
    assert amount(f"{TOTAL}/cbc:TaxExclusiveAmount") == totals.tax_exclusive
    assert amount(f"{TOTAL}/cbc:TaxInclusiveAmount") == totals.tax_inclusive
    assert amount(f"{TOTAL}/cbc:PrepaidAmount") == totals.prepaid
    assert amount(f"{TOTAL}/cbc:PayableAmount") == totals.payable
    assert amount("cac:TaxTotal/cbc:TaxAmount") == totals.tax_total
    line_paths = (
        "cac:InvoiceLine/cbc:LineExtensionAmount/text()"
        " | cac:CreditNoteLine/cbc:LineExtensionAmount/text()"
    )
    nets = [Decimal(value) for value in xpath(xml, line_paths)]
    assert tuple(nets) == totals.line_nets
    adjustments = [Decimal(v) for v in xpath(xml, "cac:AllowanceCharge/cbc:Amount/text()")]
    assert adjustments == [a.amount for a in totals.adjustments]
