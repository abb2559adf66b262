"""The send pop-up, through the real view, over every catalogue entry tried on it: a refusal
comes back as JSON under its field with the same words ``send_problems`` gives (one rule, every
door) and nothing is queued; ordinary text that looks like code is queued exactly as typed; a
plain-text body that holds markup reaches the HTML part escaped, never as markup.

Also the HTML bodies given to the send path (``send_html``): scripts, handlers and
``javascript:`` links are refused; HTML that only talks about them is kept."""

import re
import uuid

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.urls import reverse

from porto.mail.models import OutgoingEmail
from porto.mail.requests import SendRequest, email_send
from porto.mail.send.problems import send_problems
from tests.hostile.catalogue import Accepted, Neutralised, Refused, cases
from tests.hostile.streams import announced

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
TYPICAL = {
    "to": ["compta@cafe-elysee.example"],
    "cc": [],
    "subject": "Votre facture",
    "body": "Bonjour,\n\nVeuillez trouver la facture en annexe.",
}


def tags_in(html: str) -> set[str]:
    return {name.lower() for name in re.findall(r"<\s*/?\s*([a-zA-Z][\w-]*)", html)}


def typed_with(field: str, value) -> dict:
    if field in ("to", "cc"):
        value = value if isinstance(value, list) else [value]
    return TYPICAL | {field: value}


def through_the_page(http, document, typed: dict):
    post = {
        "to": typed["to"],
        "cc": typed["cc"],
        "bcc": "",
        "subject": typed["subject"],
        "body": typed["body"],
        "file_format": "pdf",
        "idempotency_key": uuid.uuid4().hex,
    }
    return http.post(reverse("document_send", args=[document.pk]), post, **JSON)


def as_request(document, typed: dict) -> SendRequest:
    return SendRequest(
        document=document,
        to=typed["to"],
        cc=typed["cc"],
        subject=typed["subject"],
        body_text=typed["body"],
        file_format="pdf",
    )


def a_body_refused_unread(owner, document, size: int, outcome: Refused) -> None:
    """A body announced as ``size`` bytes, with the CSRF check on (it reads a POST's fields
    first): refused by its size, none of it read."""
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32  # a well-formed secret, as after a GET
    response = browser.post(
        reverse("document_send", args=[document.pk]),
        b"",
        "text/plain",  # the test client's own header, replaced by the announced one
        **JSON,
        **announced(size, "multipart/form-data; boundary=PortoBoundary"),
    )
    assert response.status_code == 413
    assert response.json() == {"ok": False, "errors": {"attachments": [outcome.fragment]}}
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize(("entry", "use"), cases("popup"))
def test_the_pop_up_refuses_escapes_or_keeps_each_catalogue_entry(
    owner_client, owner, invoice, entry, use
):
    if use.field == "request size":
        return a_body_refused_unread(owner, invoice, entry.built(), use.outcome)
    typed = typed_with(use.field, entry.built())
    response = through_the_page(owner_client, invoice, typed)
    if isinstance(use.outcome, Refused):
        assert response.status_code == 400, response.content
        errors = response.json()["errors"]
        assert list(errors) == [use.field]
        assert any(use.outcome.fragment in message for message in errors[use.field]), errors
        assert send_problems(as_request(invoice, typed)) == errors  # the same words, every door
        assert not OutgoingEmail.objects.exists()
        return
    assert response.status_code == 200, response.content
    email = OutgoingEmail.objects.get()
    value = entry.built()
    if use.field == "subject":
        assert email.subject == value
    elif use.field == "body":
        assert email.body_text == value.replace("\r\n", "\n")
    else:
        assert [r.address for r in email.recipients.filter(kind=use.field)] == [
            a.rsplit("<", 1)[-1].rstrip(">") for a in typed[use.field]
        ]
    if isinstance(use.outcome, Neutralised):
        assert use.outcome.check == "escaped"
        assert value not in email.body_html
        assert tags_in(email.body_html) <= {"p", "br"}  # the markup typed is text, not tags
    else:
        assert isinstance(use.outcome, Accepted)


@pytest.mark.parametrize(("entry", "use"), cases("send_html"))
def test_an_html_body_is_refused_with_what_it_holds_or_kept(invoice, entry, use):
    request = SendRequest(
        document=invoice,
        to=TYPICAL["to"],
        subject=TYPICAL["subject"],
        body_text=TYPICAL["body"],
        body_html=entry.built(),
        file_format="pdf",
    )
    if isinstance(use.outcome, Refused):
        problems = send_problems(request)
        assert list(problems) == ["body"]
        assert use.outcome.fragment in problems["body"][0]
        assert not OutgoingEmail.objects.exists()
        return
    assert isinstance(use.outcome, Accepted)
    email = email_send(request)
    assert "&lt;script&gt;" in email.body_html
    assert "<script" not in email.body_html


def test_an_outsider_cannot_send_another_companys_document(outsider_client, invoice):
    typed = typed_with("body", "Bonjour\x07")
    assert through_the_page(outsider_client, invoice, typed).status_code == 404
    assert not OutgoingEmail.objects.exists()


def test_a_send_posted_without_the_pop_ups_script_shows_the_refusal_on_the_document_page(
    owner, invoice
):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    response = browser.post(
        reverse("document_send", args=[invoice.pk]),
        b"",
        "text/plain",
        **announced(30 * 1024 * 1024, "multipart/form-data; boundary=PortoBoundary"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("document", args=[invoice.pk])
    page = browser.get(response["Location"]).content.decode()
    assert "The files you attached add up to more than 26 MB" in page


def test_another_page_posted_too_large_gets_the_refusal_as_text_before_the_csrf_check(owner):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    browser.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    response = browser.post(
        reverse("company_profile"),
        b"",
        "text/plain",
        **announced(30 * 1024 * 1024, "multipart/form-data; boundary=PortoBoundary"),
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == (
        "What you sent is 30.00 MB; a page accepts at most 26 MB. Send fewer or smaller files."
    )
