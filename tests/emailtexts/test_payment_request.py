"""The invoice text's payment sentence: how to pay, or nothing to pay for a fully prepaid one."""

from decimal import Decimal

import pytest

from porto.documents.rendering.parties import is_paid_in_full
from porto.emailtexts import services
from tests.factories import make_client, make_finalized

pytestmark = pytest.mark.django_db

PAID_IN_FULL = {
    "nl": "Deze factuur is volledig betaald: u hoeft niets meer te betalen.",
    "fr": "Cette facture est entièrement payée\u00a0: vous n'avez rien à payer.",
    "en": "This invoice has been paid in full: there is nothing to pay.",
}
ASKS_TO_PAY = {"nl": "Gelieve dit bedrag", "fr": "verser ce montant", "en": "pay this amount"}


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
