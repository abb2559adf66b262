"""Bad input on the models gets clear, specific errors, all at once, and nothing is saved."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError

from porto.accounts.models import Company
from porto.clients.models import Client, ClientEmail
from porto.documents.models import Document, DocumentLine
from tests.factories import make_client, make_document, make_finalized

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_company_reports_every_bad_identifier_at_once():
    company = Company(
        name="Broken BV",
        street="Kerkstraat 1",
        postal_code="2000",
        city="Antwerpen",
        kbo_number="0202.239.952",
        vat_number="BE0202239952",
        iban="BE68 5390 0754 7035",
        bic="GKCC",
        email="office@broken",
    )
    errors = errors_of(company)
    assert set(errors) == {"kbo_number", "vat_number", "iban", "bic", "email"}
    assert "check number" in errors["kbo_number"][0]
    assert "wrong checksum" in errors["iban"][0]
    assert not Company.objects.filter(name="Broken BV").exists()


def test_company_identifiers_are_normalised_on_clean():
    company = Company(
        name="Clean BV",
        street="Kerkstraat 1",
        postal_code="2000",
        city="Antwerpen",
        kbo_number="0202.239.951",
        vat_number="be 0202 239 951",
        iban="be68 5390 0754 7034",
        bic="gkccbebb",
        email="office@clean.example",
    )
    company.full_clean()
    company.save()
    assert (company.kbo_number, company.vat_number, company.iban, company.bic) == (
        "0202239951",
        "BE0202239951",
        "BE68539007547034",
        "GKCCBEBB",
    )
    assert company.slug == "clean-bv"


def test_a_logo_over_1_mb_is_refused(company):
    company.logo = SimpleUploadedFile("logo.png", b"x" * (1024 * 1024 + 1))
    errors = errors_of(company)
    assert errors["logo"] == [
        "The logo is 1024 KB; the largest logo Porto accepts is 1024 KB."
    ] or ("largest logo Porto accepts is 1024 KB" in errors["logo"][0])


def test_client_errors(company):
    client = Client(
        company=company,
        name="Bad Client",
        vat_number="XX",
        kbo_number="2202239951",
        peppol_scheme="208",
        peppol_id="",
    )
    errors = errors_of(client)
    assert "starts with the country code" in errors["vat_number"][0]
    assert "starts with 0 or 1" in errors["kbo_number"][0]
    assert errors["peppol_id"] == ["Give both the Peppol scheme and the identifier, or neither."]
    assert errors["peppol_scheme"] == ["A Peppol scheme is four digits, like 0208."]


def test_client_email_header_injection_and_second_default_are_refused(company):
    client = make_client(company, emails=("boekhouding@klant.example",))
    injected = ClientEmail(client=client, address="x@klant.example\r\nBcc: all@else.example")
    assert "cannot contain a line break" in errors_of(injected)["address"][0]
    second_default = ClientEmail(client=client, address="jan@klant.example", is_default=True)
    errors = errors_of(second_default)
    assert errors["__all__"] == [
        "This client already has a default address: untick 'default' there first, "
        "or save this one as an extra address."
    ]
    duplicate = ClientEmail(client=client, address="boekhouding@klant.example")
    assert "This client already has this address." in errors_of(duplicate)["__all__"]
    assert client.emails.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("quantity", "abc", "must be a decimal number"),
        ("quantity", "1e12", "less than or equal to 1000000000"),
        ("quantity", "1.23456", "no more than 4 decimal places"),
        ("unit_price", "-5", "greater than or equal to 0"),
        ("unit_price", "NaN", "must be a decimal number"),
    ],
)
def test_line_with_a_non_numeric_or_absurd_value(company, field, value, expected):
    draft = make_document(company, make_client(company), lines=[])
    line = DocumentLine(document=draft, name="Item", quantity="1", unit_price="1")
    setattr(line, field, value)
    errors = errors_of(line)
    assert any(expected in message for message in errors[field]), errors


def test_line_amount_beyond_reason(company):
    draft = make_document(company, make_client(company), lines=[])
    line = DocumentLine(
        document=draft,
        name="Item",
        quantity=Decimal("1000000"),
        unit_price=Decimal("1000000"),
    )
    assert "more than 10,000,000,000" in errors_of(line)["quantity"][0]


def test_document_with_another_companys_client_or_invoice(company, other_company):
    foreign_invoice = make_finalized(other_company)
    document = Document(
        company=company,
        kind="credit_note",
        client=foreign_invoice.client,
        corrects=foreign_invoice,
    )
    errors = errors_of(document)
    assert errors["client"] == ["Choose one of this company's clients."]
    assert errors["corrects"] == ["Choose one of this company's invoices."]


def test_legal_records_protect_their_client_and_company(company):
    invoice = make_finalized(company)
    with pytest.raises(ProtectedError):
        invoice.client.delete()
    with pytest.raises(ProtectedError):
        company.delete()
    assert Document.objects.filter(pk=invoice.pk).exists()
