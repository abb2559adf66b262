"""Reasons are stored as a code plus parameters and shown in the reader's language.

The worker runs in English; the reader asks for a page in Dutch or French. A reason written by
the worker (a real refusal from an SMTP server, a refusal through the provider's API) must be
stored as a code, and the page, the bulk results and the proof PDF must show it in the
reader's language, with the server's own words kept as they were said.
"""

import re
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from porto.mail import reasons
from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.proof import email_proof_pdf
from porto.mail.reasons import Reason, reason_render, reason_stored
from porto.mail.requests import SendRequest, bulk_send, email_send
from porto.web.selectors import bulk_results
from tests.factories import make_client, make_document, make_finalized, make_user

MISSING_NL = "De server van de ontvanger meldt dat de mailbox niet bestaat"
MISSING_FR = "Le serveur du destinataire indique que la boîte mail n'existe pas"
MISSING_EN = "The recipient's server says the mailbox does not exist"


@pytest.fixture(autouse=True)
def english_afterwards():
    """A page requested in Dutch or French leaves that language active in this thread."""
    yield
    translation.deactivate()


@pytest.fixture
def reader(client, company):
    client.force_login(make_user(company, role="owner", username="reader"))
    return client


def refused_by_the_smtp_server(smtp_server, invoice) -> Recipient:
    smtp_server.rules.refuse["compta@cafe-elysee.example"] = "550 5.1.1 No such user here"
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "failed"
    return email.recipients.get()


def timeline_in(reader, document, language: str) -> str:
    url = reverse("document_timeline", args=[document.pk])
    response = reader.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


# (1) A reason written by the worker is stored as a code and shown in the reader's language


def test_a_550_from_the_smtp_server_is_stored_as_a_code_with_the_servers_words(
    smtp_server, invoice
):
    recipient = refused_by_the_smtp_server(smtp_server, invoice)
    assert recipient.failure_reason == {
        "code": reasons.MAILBOX_MISSING,
        "params": {"server": "550 5.1.1 No such user here"},
    }
    event = recipient.events.get(type="rejected")
    assert event.reason == recipient.failure_reason


@pytest.mark.parametrize(
    ("language", "sentence"), [("nl", MISSING_NL), ("fr", MISSING_FR), ("en", MISSING_EN)]
)
def test_a_550_from_the_smtp_server_is_shown_on_the_timeline_in_the_readers_language(
    smtp_server, invoice, reader, language, sentence
):
    refused_by_the_smtp_server(smtp_server, invoice)
    page = timeline_in(reader, invoice, language)
    assert escape(f"{sentence} (550 5.1.1 No such user here)") in page


def test_the_document_page_tooltip_names_the_reason_in_the_readers_language(
    smtp_server, invoice, reader
):
    refused_by_the_smtp_server(smtp_server, invoice)
    response = reader.get(reverse("documents"), headers={"accept-language": "nl"})
    assert escape(f"{MISSING_NL} (550 5.1.1 No such user here)") in response.content.decode()


def test_a_sandbox_refusal_of_an_invalid_domain_is_shown_in_french(sandbox, company, reader):
    client = make_client(company, language="fr", emails=("personne@klant.invalid",))
    document = make_finalized(company, client)
    email = email_send(SendRequest(document=document, to=["personne@klant.invalid"]))
    assert email_deliver(email.pk) == "failed"
    stored = email.recipients.get().failure_reason
    assert stored["code"] == reasons.MAILBOX_MISSING
    assert stored["params"]["server"].startswith("550 5.1.1")
    page = timeline_in(reader, document, "fr")
    assert escape(f"{MISSING_FR} ({stored['params']['server']})") in page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "De e-mailprovider weigerde de e-mail (HTTP 422):"),
        ("fr", "Le fournisseur d'e-mail a refusé l'e-mail (HTTP 422) :"),
    ],
)
def test_a_provider_refusal_through_its_api_is_shown_in_the_readers_language(
    postmark, invoice, reader, language, words
):
    postmark.replies.append(
        (422, {"ErrorCode": 300, "Message": "Invalid 'From' address: 'acme@send.example'."})
    )
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "failed"
    stored = email.recipients.get().failure_reason
    assert stored == {
        "code": "provider_refused_email",
        "params": {"code": 422, "reason": "Invalid 'From' address: 'acme@send.example'."},
    }
    page = timeline_in(reader, invoice, language)
    assert escape(f"{words} Invalid 'From' address: 'acme@send.example'.") in page


# (2) Every code has its Dutch and French sentence


def untranslated(language: str) -> list[str]:
    with translation.override(language):
        return [
            code
            for code, sentence in reasons.SENTENCES.items()
            if translation.gettext(sentence) == sentence
        ]


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_reason_code_has_a_translation(language):
    missing = untranslated(language)
    assert missing == [], (
        f"{len(missing)} of {len(reasons.SENTENCES)} reason codes lack a {language} translation: "
        + ", ".join(missing)
    )


def test_a_code_outside_the_table_cannot_be_written():
    with pytest.raises(ValueError, match="unknown reason code"):
        Reason("mailbox_gone")


# (3) Rows stored before codes, and codes a newer version wrote, still render


def test_legacy_plain_text_is_shown_as_stored():
    assert reason_render("Gave up after 8 attempts: no answer") == (
        "Gave up after 8 attempts: no answer"
    )
    assert reason_render("") == ""


def test_a_legacy_english_refusal_keeps_the_server_words_and_gets_its_lead_translated():
    stored = f"{MISSING_EN} (550 5.1.1 User unknown)"
    with translation.override("nl"):
        assert reason_render(stored) == f"{MISSING_NL} (550 5.1.1 User unknown)"


def test_an_unknown_code_is_shown_as_stored():
    stored = {"code": "from_a_newer_version", "params": {"server": "550 5.7.1 Blocked"}}
    assert reason_render(stored) == "from_a_newer_version (server: 550 5.7.1 Blocked)"


def test_a_legacy_text_row_still_renders_on_the_timeline(smtp_server, invoice, reader):
    recipient = refused_by_the_smtp_server(smtp_server, invoice)
    Recipient.objects.filter(pk=recipient.pk).update(
        failure_reason="Mailbox unavailable (written by an older version)"
    )
    page = timeline_in(reader, invoice, "nl")
    assert "Mailbox unavailable (written by an older version)" in page


def test_a_nested_reason_and_a_list_render_in_the_readers_language():
    missing = reason_stored(reasons.MAILBOX_MISSING, server="550 5.1.1 gone")
    gave_up = reason_stored("gave_up", attempts=8, reason=missing)
    with translation.override("fr"):
        shown = reason_render(
            [reason_stored("address_failed", address="a@b.example", reason=gave_up)]
        )
    assert "a@b.example" in shown and "8" in shown
    assert f"{MISSING_FR} (550 5.1.1 gone)" in shown
    assert "{" not in shown


# (4) Bulk results and the proof PDF show the reason in the reader's language


def test_bulk_results_show_the_failure_reason_in_the_readers_language(
    smtp_server, company, invoice
):
    smtp_server.rules.refuse["compta@cafe-elysee.example"] = "550 5.1.1 No such user here"
    job = bulk_send(company, [invoice.pk, 999_999])
    assert job.skipped == [
        {"document": 999_999, "number": "", "reason": {"code": "document_missing", "params": {}}}
    ]
    for email in job.emails.all():
        email_deliver(email.pk)
    for language, sentence in (("nl", MISSING_NL), ("fr", MISSING_FR)):
        with translation.override(language):
            failed = [r for r in bulk_results(job) if r["number"] == invoice.number]
        assert [r["reason"] for r in failed] == [f"{sentence} (550 5.1.1 No such user here)"]


def test_a_bulk_skip_keeps_the_checks_words_in_every_language(company):
    draft = make_document(company, make_client(company, language="nl"))
    job = bulk_send(company, [draft.pk])
    [skip] = job.skipped
    assert skip["reason"]["code"] == "document_not_sendable"
    problems = skip["reason"]["params"]["problems"]
    assert set(problems) == {"en", "nl", "fr"}
    for language in ("en", "nl", "fr"):
        with translation.override(language):
            expected = translation.gettext("This document cannot be sent: %(problems)s") % {
                "problems": problems[language]
            }
            assert [r["reason"] for r in bulk_results(job)] == [expected]
    assert "is still a draft" in problems["en"]


def test_a_text_per_language_is_shown_in_the_readers_language():
    stored = reason_stored(
        "document_not_sendable",
        problems={"en": "No address.", "nl": "Geen adres.", "fr": "Pas d'adresse."},
    )
    with translation.override("nl"):
        assert "Geen adres." in reason_render(stored)
    with translation.override("fr"):
        assert "Pas d'adresse." in reason_render(stored)
    with translation.override("de"):
        assert "No address." in reason_render(stored)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "proof.pdf"
    path.write_bytes(content)
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True)
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.decode().split())


@pytest.mark.parametrize(("language", "sentence"), [("nl", MISSING_NL), ("fr", MISSING_FR)])
def test_the_proof_pdf_shows_the_refusal_in_the_readers_language(
    smtp_server, invoice, reader, tmp_path, language, sentence
):
    recipient = refused_by_the_smtp_server(smtp_server, invoice)
    url = reverse("email_proof", args=[recipient.email_id])
    response = reader.get(url, headers={"accept-language": language})
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert f"{sentence} (550 5.1.1 No such user here)" in text
    assert "{'code'" not in text and '"code"' not in text


def test_the_proof_pdf_of_a_legacy_row_shows_its_text(smtp_server, invoice, tmp_path):
    recipient = refused_by_the_smtp_server(smtp_server, invoice)
    recipient.events.update(reason="Refused by an older version")
    email = OutgoingEmail.objects.get(pk=recipient.email_id)
    assert "Refused by an older version" in pdf_text(email_proof_pdf(email), tmp_path)


def test_the_admin_shows_the_reason_in_the_staff_members_language(smtp_server, invoice, client):
    recipient = refused_by_the_smtp_server(smtp_server, invoice)
    staff = make_user(username="staff")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    url = reverse("admin:mail_outgoingemail_change", args=[recipient.email_id])
    page = client.get(url, headers={"accept-language": "nl"}).content.decode()
    assert escape(f"{MISSING_NL} (550 5.1.1 No such user here)") in page


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
stored_reasons = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "code": st.sampled_from([*reasons.SENTENCES, "not_a_code"]),
            "params": st.dictionaries(
                st.sampled_from(["server", "reason", "attempts", "where", "code", "problems"]),
                json_values,
            ),
        }
    ),
)


@given(stored=stored_reasons, language=st.sampled_from(["en", "nl", "fr"]))
def test_any_stored_value_renders_as_text_without_raising(stored, language):
    """A page must never break on a reason row, whatever a version or a hand wrote in it."""
    with translation.override(language):
        assert isinstance(reason_render(stored), str)


@pytest.mark.parametrize(
    ("language", "accepted", "event"),
    [("nl", "aanvaard", "aanvaard voor aflevering"), ("fr", "accepté", "accepté pour livraison")],
)
def test_the_proof_pdf_names_the_answer_and_the_events_in_the_readers_language(
    smtp_server, invoice, reader, tmp_path, language, accepted, event
):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email_deliver(email.pk) == "sent"
    response = reader.get(
        reverse("email_proof", args=[email.pk]), headers={"accept-language": language}
    )
    text = pdf_text(response.content, tmp_path)
    assert f"compta@cafe-elysee.example {accepted}" in text
    assert event in text
    assert not re.findall(r"\b(?:accepted|refused|sent|delivered)\b", text, re.IGNORECASE)
