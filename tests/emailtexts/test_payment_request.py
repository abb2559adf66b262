"""The invoice text's payment sentence: how to pay, or nothing to pay for a fully prepaid one."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from porto.documents.rendering.parties import is_paid_in_full
from porto.emailtexts import services
from porto.emailtexts.defaults import SHIPPED
from porto.emailtexts.models import EmailText
from porto.lib.formatting import format_date
from porto.lib.identifiers import format_iban
from tests.factories import make_client, make_finalized

pytestmark = pytest.mark.django_db

PAID_IN_FULL = {
    "nl": "Deze factuur is volledig betaald: u hoeft niets meer te betalen.",
    "fr": "Cette facture est entièrement payée\u00a0: vous n'avez rien à payer.",
    "en": "This invoice has been paid in full: there is nothing to pay.",
}
ASKS_TO_PAY = {"nl": "Gelieve het bedrag", "fr": "verser le montant", "en": "pay the amount"}
OPENING = {
    "nl": "In bijlage vindt u factuur {number} van {date}.\n\n",
    "fr": "Veuillez trouver ci-joint la facture {number} du {date}.\n\n",
    "en": "Please find attached invoice {number} of {date}.\n\n",
}
PAYMENT = {
    "nl": "Gelieve het bedrag van 100,00\u00a0€ uiterlijk op {due} over te schrijven op "
    "rekeningnummer {iban} met de gestructureerde mededeling {ogm}.",
    "fr": "Nous vous remercions de bien vouloir verser le montant de 100,00\u00a0€ au plus tard "
    "le {due} sur le compte {iban}, avec la communication structurée {ogm}.",
    "en": "We kindly ask you to pay the amount of €100.00 by {due} to account {iban}, quoting "
    "the structured communication {ogm}.",
}


def opening_of(invoice, language: str) -> str:
    date = format_date(invoice.issue_date, language)
    return OPENING[language].format(number=invoice.number, date=date)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_fully_prepaid_invoice_email_opens_without_an_amount_and_asks_nothing(company, language):
    client = make_client(company, language=language)
    invoice = make_finalized(company, client, prepaid_amount=Decimal("121.00"))
    text = services.email_text_for(company, "invoice", language)

    body = services.email_text_render(text, invoice).body_text

    assert opening_of(invoice, language) + PAID_IN_FULL[language] + "\n\n" in body
    assert "0,00" not in body and "0.00" not in body


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_invoice_email_opens_with_the_document_and_states_the_amount_in_the_payment_request(
    company, language
):
    client = make_client(company, language=language)
    invoice = make_finalized(company, client, prepaid_amount=Decimal("21.00"))
    text = services.email_text_for(company, "invoice", language)

    body = services.email_text_render(text, invoice).body_text

    payment = PAYMENT[language].format(
        due=format_date(invoice.due_date, language),
        iban=format_iban(company.iban),
        ogm=invoice.structured_communication,
    )
    assert opening_of(invoice, language) + payment + "\n\n" in body


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_fully_prepaid_invoice_text_says_nothing_is_left_to_pay(company, language):
    client = make_client(company, language=language)
    invoice = make_finalized(company, client, prepaid_amount=Decimal("121.00"))
    assert invoice.amount_due == 0
    text = services.email_text_for(company, "invoice", language)

    body = services.email_text_render(text, invoice).body_text

    assert PAID_IN_FULL[language] in body
    assert ASKS_TO_PAY[language] not in body
    assert services.MISSING not in body
    assert company.iban[-4:] not in body


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_partly_prepaid_invoice_text_asks_for_the_rest(company, language):
    client = make_client(company, language=language)
    invoice = make_finalized(company, client, prepaid_amount=Decimal("21.00"))
    text = services.email_text_for(company, "invoice", language)

    body = services.email_text_render(text, invoice).body_text

    assert ASKS_TO_PAY[language] in body
    assert invoice.structured_communication in body
    assert PAID_IN_FULL[language] not in body


def test_invoice_text_names_the_documents_own_payment_account(company):
    invoice = make_finalized(company, payment_iban="BE71096123456769", payment_bic="GKCCBEBB")
    text = services.email_text_for(company, "invoice", "nl")

    body = services.email_text_render(text, invoice).body_text

    assert "rekeningnummer BE71 0961 2345 6769" in body


@pytest.mark.parametrize("prepaid", ["0", "21.00", "121.00", "150.00"])
def test_paid_in_full_from_stored_totals_agrees_with_compute_totals(company, prepaid):
    invoice = make_finalized(company, prepaid_amount=Decimal(prepaid))
    assert is_paid_in_full(invoice) == invoice.compute_totals().fully_prepaid


def test_the_migration_rewords_unchanged_invoice_texts_and_leaves_changed_ones(company):
    rewording = importlib.import_module(
        "porto.emailtexts.migrations.0003_invoice_texts_open_without_amount"
    )
    services.email_texts_ensure_defaults(company)
    old_nl = (
        "Geachte {contact_name},\n\nIn bijlage vindt u factuur {document_number} van "
        "{issue_date} voor een bedrag van {amount_due}.\n\n{payment_request}\n\n"
        "Met vriendelijke groeten,\n{company_name}"
    )
    changed_en = "Dear {contact_name},\n\nOur invoice for {amount_due}.\n\n{payment_request}"
    texts = EmailText.objects.filter(company=company, kind="invoice")
    texts.filter(language="nl").update(body=old_nl)
    texts.filter(language="en").update(body=changed_en)

    rewording.reword_unchanged_invoice_texts(django_apps, None)

    assert texts.get(language="nl").body == SHIPPED["invoice.nl"].body
    assert texts.get(language="en").body == changed_en
