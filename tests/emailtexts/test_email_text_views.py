"""Settings > Email texts pages."""

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from porto.emailtexts.defaults import SHIPPED
from porto.emailtexts.models import EmailText
from porto.emailtexts.services import email_text_for, email_text_update
from tests.factories import make_client, make_finalized

pytestmark = pytest.mark.django_db

LIST = reverse("email_texts")


def edit_url(text: EmailText) -> str:
    return reverse("email_text", args=[text.pk])


def form_data(text: EmailText, **changes) -> dict:
    return {"name": text.name, "subject": text.subject, "body": text.body} | changes


def stored(text: EmailText) -> tuple:
    text = EmailText.objects.get(pk=text.pk)
    return (text.name, text.subject, text.body, text.is_default)


def test_login_required(client, db):
    assert client.get(LIST).status_code == 302


def test_list_shows_every_kind_and_language(owner_client, company):
    response = owner_client.get(LIST)

    page = response.content.decode()
    for label in ["Invoice", "Credit note", "Quote", "Other document", "Payment reminder"]:
        assert f'<th scope="row">{label}</th>' in page
    for name in ["Standaardtekst", "Texte standard", "Standard text"]:
        assert page.count(name) == 5
    assert EmailText.objects.filter(company=company).count() == 15


def test_editor_shows_the_placeholders_and_a_preview_with_a_real_document(owner_client, company):
    client = make_client(company, name="Bakkerij Peeters", language="nl")
    invoice = make_finalized(company, client)
    text = email_text_for(company, "invoice", "nl")

    page = owner_client.get(edit_url(text)).content.decode()

    for code in ["{document_number}", "{structured_communication}", "{iban}", "{contact_name}"]:
        assert f"<code>{code}</code>" in page
    assert f"Factuur {invoice.number} van Acme BV" in page
    assert "Geachte Bakkerij Peeters," in page
    assert "&lt;/style&gt;&lt;p&gt;Geachte Bakkerij Peeters," in page


def test_save_changes_the_text(owner_client, company):
    text = email_text_for(company, "quote", "en")

    response = owner_client.post(
        edit_url(text), form_data(text, subject="Our quote {document_number}")
    )

    assert response.status_code == 302
    assert stored(text)[1] == "Our quote {document_number}"


def test_preview_shows_unsaved_changes_and_saves_nothing(owner_client, company):
    make_finalized(company, kind="quote")
    text = email_text_for(company, "quote", "en")
    before = stored(text)

    response = owner_client.post(
        edit_url(text), form_data(text, subject="Quote {document_number}!", preview="1")
    )

    assert response.status_code == 200
    assert b"Quote Q-" in response.content
    assert stored(text) == before


def test_preview_with_a_chosen_document(owner_client, company):
    first = make_finalized(company, make_client(company, name="Eerste klant"))
    second = make_finalized(company, make_client(company, name="Tweede klant"))
    text = email_text_for(company, "invoice", "nl")

    page = owner_client.get(edit_url(text), {"document": first.pk}).content.decode()
    assert "Geachte Eerste klant" in page
    page = owner_client.get(edit_url(text), {"document": second.pk}).content.decode()
    assert "Geachte Tweede klant" in page


def test_preview_refuses_another_company_document(owner_client, company, other_company):
    theirs = make_finalized(other_company, make_client(other_company, name="Geheime klant"))
    make_finalized(company)
    text = email_text_for(company, "invoice", "nl")

    page = owner_client.get(edit_url(text), {"document": theirs.pk}).content.decode()

    assert "Geheime klant" not in page
    assert "Choose one of your company" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subject": "Factuur {nummer}"}, "Unknown placeholder {nummer}"),
        ({"body": "Te betalen {amount_due"}, "“{amount_due” is never closed"),
        ({"body": "Bedrag}"}, "has no opening brace"),
        ({"body": "x" * 100 * 1024}, "102,400 characters long; the limit is 20,000"),
        ({"subject": "x" * 250}, "250 characters long; the limit is 200"),
        ({"subject": ""}, "This field is required"),
        ({"name": "Texte standard"}, None),  # allowed: names are per language
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(owner_client, company, changes, message):
    text = email_text_for(company, "invoice", "nl")
    before = stored(text)

    response = owner_client.post(edit_url(text), form_data(text, **changes))

    if message is None:
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert message in response.content.decode()
    assert stored(text) == before


def test_create_another_named_text(owner_client, company):
    url = reverse("email_text_new") + "?kind=invoice&language=fr"
    form_page = owner_client.get(url).content.decode()
    assert SHIPPED["invoice.fr"].subject in form_page

    response = owner_client.post(
        reverse("email_text_new"),
        {
            "kind": "invoice",
            "language": "fr",
            "name": "Court",
            "subject": "Facture",
            "body": "Ci-joint.",
        },
    )

    created = EmailText.objects.get(company=company, name="Court")
    assert response.status_code == 302
    assert (created.kind, created.language, created.is_default) == ("invoice", "fr", False)


def test_create_with_a_taken_name_is_a_form_error(owner_client, company):
    email_text_for(company, "invoice", "nl")
    response = owner_client.post(
        reverse("email_text_new"),
        {
            "kind": "invoice",
            "language": "nl",
            "name": "Standaardtekst",
            "subject": "s",
            "body": "b",
        },
    )
    assert response.status_code == 200
    assert b"already exists for this kind and language" in response.content
    assert (
        EmailText.objects.filter(company=company, name="Standaardtekst", kind="invoice").count()
        == 1
    )


def test_create_with_unknown_kind_is_404(owner_client):
    assert (
        owner_client.get(reverse("email_text_new") + "?kind=letter&language=nl").status_code == 404
    )


def test_set_default_and_reset(owner_client, company):
    old = email_text_for(company, "reminder", "en")
    new = EmailText.objects.create(
        company=company, kind="reminder", language="en", name="Firm", subject="Pay", body="Now."
    )

    owner_client.post(reverse("email_text_default", args=[new.pk]))
    assert email_text_for(company, "reminder", "en") == new
    assert stored(old)[3] is False

    old.refresh_from_db()
    email_text_update(old, name=old.name, subject="Changed", body="Changed")
    owner_client.post(reverse("email_text_reset", args=[old.pk]))
    assert stored(old)[1:3] == (SHIPPED["reminder.en"].subject, SHIPPED["reminder.en"].body)


def test_delete_refuses_the_default(owner_client, company):
    default = email_text_for(company, "quote", "nl")
    response = owner_client.post(reverse("email_text_delete", args=[default.pk]), follow=True)
    assert b"make another text the default first" in response.content
    assert EmailText.objects.filter(pk=default.pk).exists()


def test_outsider_gets_404_on_every_text_page(outsider_client, company):
    text = email_text_for(company, "invoice", "nl")
    before = stored(text)
    for name in ["email_text", "email_text_default", "email_text_reset", "email_text_delete"]:
        url = reverse(name, args=[text.pk])
        assert outsider_client.post(url, form_data(text, subject="Hacked")).status_code == 404
    assert outsider_client.get(edit_url(text)).status_code == 404
    assert stored(text) == before


def test_member_may_edit_texts(client, teammate, company):
    client.force_login(teammate)
    text = email_text_for(company, "invoice", "en")
    assert client.post(edit_url(text), form_data(text, subject="Invoice")).status_code == 302
    assert stored(text)[1] == "Invoice"


def test_csrf_is_checked(owner, company):
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    text = email_text_for(company, "invoice", "en")
    assert browser.post(edit_url(text), form_data(text, subject="x")).status_code == 403
    assert browser.post(reverse("email_text_reset", args=[text.pk])).status_code == 403


def test_get_on_actions_is_refused(owner_client, company):
    text = email_text_for(company, "invoice", "en")
    assert owner_client.get(reverse("email_text_reset", args=[text.pk])).status_code == 405


def test_nav_links_to_the_settings_pages(owner_client):
    page = owner_client.get(LIST).content.decode()
    assert 'href="/settings/email/"' in page
    assert 'href="/settings/email-texts/"' in page


def test_preview_prefers_a_finalized_document(owner_client, company):
    from tests.factories import make_document

    finalized = make_finalized(company, make_client(company, name="Definitieve klant"))
    make_document(company, make_client(company, name="Ontwerpklant"))  # newer, but a draft
    text = email_text_for(company, "invoice", "nl")

    page = owner_client.get(edit_url(text)).content.decode()

    assert f"Factuur {finalized.number}" in page
    assert "Geachte Definitieve klant" in page
