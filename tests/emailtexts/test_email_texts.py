"""Choosing, rendering, validating and resetting email texts."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from porto.documents.demo import seed_demo
from porto.documents.models import Document, DocumentKind
from porto.emailtexts import services
from porto.emailtexts.defaults import SHIPPED
from porto.emailtexts.models import BODY_MAX_CHARS, EmailText, TextKind
from porto.emailtexts.placeholders import PLACEHOLDERS
from porto.lib.formatting import NBSP
from porto.lib.languages import Language
from tests.factories import make_client, make_document, make_finalized

pytestmark = pytest.mark.django_db

LEFTOVER = re.compile(r"\{[a-z_]+\}")


def test_every_shipped_text_renders_with_a_demo_document_without_leftovers():
    company = seed_demo()
    problems = []
    for kind in TextKind.values:
        document_kind = DocumentKind.INVOICE if kind == TextKind.REMINDER else kind
        document = Document.objects.filter(
            company=company, kind=document_kind, status=Document.Status.FINALIZED
        ).first()
        for language in Language.values:
            text = services.email_text_for(company, kind, language)
            assert text.shipped_key == f"{kind}.{language}"
            rendered = services.email_text_render(text, document, language)
            for part in (rendered.subject, rendered.body_text, rendered.body_html):
                if LEFTOVER.search(part) or services.MISSING in part or "{" in part:
                    problems.append((kind, language, part))
            assert document.number in rendered.subject
            assert company.name in rendered.body_text
    assert problems == []
    assert len(SHIPPED) == len(TextKind.values) * len(Language.values)


def test_invoice_text_in_each_language(company):
    client = make_client(company, language="nl", contact_name="Jan Peeters")
    invoice = make_finalized(company, client, lines=[("1", "1020.30", "S", "21")])

    nl = services.email_text_render(services.email_text_for(company, "invoice", "nl"), invoice)
    fr = services.email_text_render(services.email_text_for(company, "invoice", "fr"), invoice)
    en = services.email_text_render(services.email_text_for(company, "invoice", "en"), invoice)

    due = invoice.due_date
    assert nl.subject == f"Factuur {invoice.number} van Acme BV"
    assert nl.body_text.startswith("Geachte Jan Peeters,\n\n")
    assert f"1.234,56{NBSP}€" in nl.body_text
    assert due.strftime("%d/%m/%Y") in nl.body_text
    assert invoice.structured_communication in nl.body_text
    assert fr.body_text.startswith("Madame, Monsieur,")
    assert "1\u202f234,56\u00a0€" in fr.body_text
    assert en.body_text.startswith("Dear Jan Peeters,")
    assert "€1,234.56" in en.body_text
    assert f"{due.day} {due.strftime('%B')} {due.year}" in en.body_text


def test_contact_name_falls_back_to_the_client_name(company):
    client = make_client(company, name="Garage Willems", contact_name="")
    invoice = make_finalized(company, client)
    rendered = services.email_text_render(
        services.email_text_for(company, "invoice", "nl"), invoice
    )
    assert rendered.body_text.startswith("Geachte Garage Willems,")


def test_values_are_escaped_in_html_and_subject_stays_on_one_line(company):
    client = make_client(company, name='Evil <img src=x onerror="alert(1)"> BV')
    invoice = make_finalized(company, client)
    text = EmailText(
        company=company, kind="invoice", language="en", name="x",
        subject="For {client_name}\n{document_number}", body="Hello {client_name}",
    )  # fmt: skip

    rendered = services.email_text_render(text, invoice)

    assert "<img" not in rendered.body_html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in rendered.body_html
    assert "\n" not in rendered.subject
    assert rendered.body_text == 'Hello Evil <img src=x onerror="alert(1)"> BV'


def test_draft_document_renders_with_draft_word(company):
    draft = make_document(company, make_client(company))
    rendered = services.email_text_render(services.email_text_for(company, "quote", "fr"), draft)
    assert "(brouillon)" in rendered.subject


def test_other_document_uses_its_title(company):
    other = make_finalized(company, kind=DocumentKind.OTHER, title="Leveringsbon")
    rendered = services.email_text_render(services.email_text_for(company, "other", "nl"), other)
    assert rendered.subject.startswith(f"Leveringsbon {other.number}")


# Language fallback


def test_client_language_first(company):
    assert services.email_text_for(company, "quote", "fr").language == "fr"


def test_unsupported_language_falls_back_to_the_company_language(company):
    company.default_language = "fr"
    company.save()
    assert services.email_text_for(company, "quote", "de").language == "fr"


def test_then_english(company):
    company.default_language = "xx"  # a company language with no texts at all
    assert services.email_text_for(company, "quote", "").language == "en"


def test_missing_default_in_client_language_falls_back(company):
    services.email_texts_ensure_defaults(company)
    # No default left in French; the shipped copy cannot come back (its name is taken).
    EmailText.objects.filter(company=company, kind="invoice", language="fr").update(
        is_default=False
    )
    text = services.email_text_for(company, "invoice", "fr")
    assert text.language == company.default_language == "nl"


def test_company_specific_default_is_used(company):
    services.email_texts_ensure_defaults(company)
    mine = services.email_text_create(
        company=company,
        kind="invoice",
        language="nl",
        name="Kort",
        subject="Factuur {document_number}",
        body="In bijlage.",
    )
    services.email_text_set_default(mine)

    assert services.email_text_for(company, "invoice", "nl") == mine
    assert EmailText.objects.filter(company=company, kind="invoice", is_default=True).count() == 3


def test_text_id_must_belong_to_the_company(company, other_company):
    theirs = services.email_text_for(other_company, "invoice", "nl")
    mine = services.email_text_for(company, "quote", "nl")

    assert services.email_text_for(company, "invoice", "nl", text_id=mine.pk) == mine
    assert services.email_text_for(company, "invoice", "nl", text_id=str(mine.pk)) == mine
    with pytest.raises(EmailText.DoesNotExist):
        services.email_text_for(company, "invoice", "nl", text_id=theirs.pk)
    with pytest.raises(EmailText.DoesNotExist):
        services.email_text_for(company, "invoice", "nl", text_id="1 OR 1=1")


def test_unknown_kind_is_refused(company):
    with pytest.raises(ValueError, match="Unknown kind"):
        services.email_text_for(company, "letter", "nl")


def test_defaults_are_copied_once(company):
    services.email_texts_ensure_defaults(company)
    services.email_texts_ensure_defaults(company)
    assert EmailText.objects.filter(company=company).count() == len(SHIPPED)


def test_one_default_per_kind_and_language_in_the_database(company):
    services.email_texts_ensure_defaults(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailText.objects.create(
            company=company, kind="invoice", language="nl", name="Tweede",
            subject="s", body="b", is_default=True,
        )  # fmt: skip


# Validation


def test_body_of_100_kb_is_refused_with_the_limit(company):
    with pytest.raises(ValidationError) as caught:
        services.email_text_create(
            company=company, kind="invoice", language="nl", name="Lang",
            subject="Factuur", body="x" * 100 * 1024,
        )  # fmt: skip
    [message] = caught.value.message_dict["body"]
    assert "102,400 characters long; the limit is 20,000" in message
    assert BODY_MAX_CHARS == 20_000
    assert not EmailText.objects.filter(name="Lang").exists()


def test_unknown_placeholder_and_unbalanced_brace_are_named(company):
    with pytest.raises(ValidationError) as caught:
        services.email_text_create(
            company=company, kind="invoice", language="nl", name="Fout",
            subject="Factuur {nummer}", body="Te betalen: {amount_due",
        )  # fmt: skip
    errors = caught.value.message_dict
    assert "Unknown placeholder {nummer}" in errors["subject"][0]
    assert "“{amount_due” is never closed" in errors["body"][0]


def test_same_name_twice_for_a_kind_and_language_is_refused(company):
    services.email_texts_ensure_defaults(company)
    with pytest.raises(ValidationError) as caught:
        services.email_text_create(
            company=company, kind="invoice", language="nl", name="Standaardtekst",
            subject="s", body="b",
        )  # fmt: skip
    assert "already exists" in caught.value.messages[0]


def test_stored_invalid_text_fails_render_with_its_name(company):
    text = EmailText(company=company, kind="invoice", language="nl", name="Kapot")
    text.subject, text.body = "{oops}", "ok"
    with pytest.raises(ValidationError, match="“Kapot” cannot be used"):
        services.email_text_render(text, make_finalized(company))


# Reset, default, delete


def test_reset_restores_the_shipped_text(company):
    text = services.email_text_for(company, "reminder", "fr")
    services.email_text_update(text, name="Mon rappel", subject="Rappel", body="Payez.")

    services.email_text_reset(text)

    text.refresh_from_db()
    shipped = SHIPPED["reminder.fr"]
    assert (text.subject, text.body, text.name) == (shipped.subject, shipped.body, "Mon rappel")


def test_default_cannot_be_deleted_but_another_text_can(company):
    default = services.email_text_for(company, "quote", "en")
    extra = services.email_text_create(
        company=company, kind="quote", language="en", name="Short", subject="Quote", body="Hi"
    )
    with pytest.raises(ValidationError, match="make another text the default first"):
        services.email_text_delete(default)
    services.email_text_delete(extra)
    assert not EmailText.objects.filter(pk=extra.pk).exists()


def test_every_placeholder_has_a_value(company):
    values = services.placeholder_values(make_finalized(company), "nl")
    assert set(values) == set(PLACEHOLDERS)
    assert services.MISSING not in values.values()


def test_values_follow_the_language_of_the_text(company):
    invoice = make_finalized(company, lines=[("1", "1020.30", "S", "21")])
    english = services.email_text_for(company, "invoice", "en")

    rendered = services.email_text_render(english, invoice, "nl")  # a Dutch client

    assert "€1,234.56" in rendered.body_text


def test_text_and_document_of_different_companies_are_refused(company, other_company):
    theirs = services.email_text_for(other_company, "invoice", "nl")
    with pytest.raises(ValueError, match="different companies"):
        services.email_text_render(theirs, make_finalized(company), "nl")


def test_subject_opening_with_the_kind_starts_with_a_capital(company):
    invoice = make_finalized(company)
    text = EmailText(
        company=company, kind="invoice", language="fr", name="x",
        subject="{document_kind} {document_number}", body="Votre {document_kind}.",
    )  # fmt: skip

    rendered = services.email_text_render(text, invoice)

    assert rendered.subject == f"Facture {invoice.number}"
    assert rendered.body_text == "Votre facture."
