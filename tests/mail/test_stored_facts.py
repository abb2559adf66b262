"""Every stored fact a person can act on shows on the document's timeline, in their language:
a delay with the server's words, a provider holding the email (Postal's suppression list), a
spam complaint, an open that did not count, why the email can or cannot become Read, and what
the five statuses mean.

The events come from the providers' documented webhook bodies, read by anymail's parsing
and projected exactly as the webhook task does (classify, then record_event).
"""

import datetime as dt
import html
import json
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation

from porto.mail.events import record_event
from porto.mail.feedback.classify import webhook_events_classify
from porto.mail.feedback.webhooks import classified_record
from porto.mail.status import Event, EventType, Status
from porto.mail.timeline import document_timeline
from tests.factories import make_email

PAYLOADS = Path(__file__).parent / "payloads"
POSTMARK_MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"
POSTAL_DELAYED_ID, POSTAL_HELD_ID = 12345, 12346
ADDRESS = "boekhouding@klant.example"
SUPPRESSION_DETAIL = (
    f"Recipient ({ADDRESS}) is on the suppression list (reason: too many hard fails)"
)


@pytest.fixture(autouse=True)
def english():
    """Pages leave their language active in the thread; the direct reads below are English."""
    with translation.override("en"):
        yield


def payload(provider: str, name: str) -> dict:
    return json.loads((PAYLOADS / provider / f"{name}.json").read_text())


def project(provider: str, body: dict) -> None:
    """What the webhook task does with a stored request."""
    request = RequestFactory().post(
        f"/webhooks/{provider}/", data=json.dumps(body), content_type="application/json"
    )
    for item in webhook_events_classify(provider, request):
        stored = classified_record(item)
        assert stored is not None and stored.recipient_id is not None, "the event matched"


def postal_held() -> dict:
    """Postal's MessageHeld webhook, as Postal sends it for an address on its suppression list."""
    body = payload("postal", "message_delayed")
    body["event"] = "MessageHeld"
    body["uuid"] = "5a0c1f2e-7d3b-4c8e-9f6a-2b1d0e9c8a71"
    body["payload"]["message"]["id"] = POSTAL_HELD_ID
    body["payload"].update(status="Held", details=SUPPRESSION_DETAIL, output="", time=None)
    return body


def sent_through(invoice, provider: str, provider_message_id: str, **fields):
    return make_email(
        invoice,
        transport="provider",
        to=(ADDRESS,),
        provider_message_id=provider_message_id,
        sent_through=provider,
        handed_off_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
        **fields,
    )


@pytest.fixture
def delayed(invoice):
    email = sent_through(invoice, "postal", str(POSTAL_DELAYED_ID), track_opens=True)
    project("postal", payload("postal", "message_delayed"))
    project("postal", payload("postal", "message_sent"))
    return email


@pytest.fixture
def held(invoice):
    email = sent_through(invoice, "postal", str(POSTAL_HELD_ID))
    project("postal", postal_held())
    return email


@pytest.fixture
def complained(invoice):
    email = sent_through(invoice, "postmark", POSTMARK_MESSAGE_ID, track_opens=True)
    project("postmark", payload("postmark", "spam_complaint"))
    return email


def timeline_text(http, invoice, language: str) -> str:
    http.cookies["django_language"] = language
    response = http.get(f"/emails/documents/{invoice.pk}/timeline/")
    assert response.status_code == 200
    return " ".join(html.unescape(response.content.decode()).split())


def recipient_of(invoice, email):
    entries = document_timeline(invoice, timezone.now())
    lines = {e.email.email.pk: e.email for e in entries if e.email}
    (recipient,) = lines[email.pk].recipients
    return recipient


NL = {
    "delay": "Vertraagd: De server van de ontvanger vraagt het later opnieuw te proberen "
    "(451 4.7.1 Greylisted, please try again later)",
    "held": "Tegengehouden: het adres staat op de blokkeerlijst van de verzenddienst "
    f"({SUPPRESSION_DETAIL})",
    "complaint": "De ontvanger markeerde de e-mail als spam",
}
FR = {
    "delay": "Retardé : Le serveur du destinataire demande de réessayer plus tard "
    "(451 4.7.1 Greylisted, please try again later)",
    "held": "Retenu : l'adresse figure sur la liste de blocage du service d'envoi "
    f"({SUPPRESSION_DETAIL})",
    "complaint": "Le destinataire a signalé l'e-mail comme spam",
}


@pytest.mark.parametrize(("language", "words"), [("nl", NL), ("fr", FR)])
@pytest.mark.parametrize("fact", ["delay", "held", "complaint"])
def test_the_timeline_shows_the_fact_in_the_readers_language(
    owner_client, invoice, delayed, held, complained, language, words, fact
):
    assert words[fact] in timeline_text(owner_client, invoice, language)


def test_a_delay_stays_in_the_details_after_delivery(invoice, delayed):
    recipient = recipient_of(invoice, delayed)
    assert recipient.status == Status.DELIVERED
    assert [note.text for note in recipient.notes] == [
        "Delayed: The recipient's server asked to try again later "
        "(451 4.7.1 Greylisted, please try again later)"
    ]
    assert recipient.notes[0].at == dt.datetime(2026, 3, 2, 9, 0, 3, tzinfo=dt.UTC)


def test_a_held_email_says_the_provider_held_it(invoice, held):
    recipient = recipient_of(invoice, held)
    held_text = f"Held: on the provider's suppression list ({SUPPRESSION_DETAIL})"
    assert [note.text for note in recipient.notes] == [held_text]
    assert recipient.status == Status.UNKNOWN  # months after sending, never released
    assert recipient.explanation == held_text  # on hover too


def test_a_complaint_is_shown_with_its_time(invoice, complained):
    recipient = recipient_of(invoice, complained)
    assert recipient.status == Status.DELIVERED
    assert [(n.at, n.text) for n in recipient.notes] == [
        (dt.datetime(2026, 3, 3, 8, 0, tzinfo=dt.UTC), "The recipient marked the email as spam")
    ]
    assert recipient.explanation == "The recipient marked the email as spam"


def test_an_open_of_an_untracked_email_is_shown_as_not_counted(owner_client, invoice):
    email = sent_through(invoice, "postmark", POSTMARK_MESSAGE_ID)  # tracking off
    project("postmark", payload("postmark", "open"))
    recipient = recipient_of(invoice, email)
    assert recipient.status == Status.DELIVERED
    assert recipient.human_open_at is None and recipient.machine_open_at is not None
    assert [n.text for n in recipient.notes] == ["Opened, not counted: open tracking was off"]
    text = timeline_text(owner_client, invoice, "nl")
    assert "Geopend, niet meegeteld: het opvolgen van geopende e-mails stond uit" in text
    assert "“Controleer of de e-mail geopend wordt door de ontvanger” stond uit" in text


@pytest.mark.parametrize(
    ("language", "sentences"),
    [
        (
            "nl",
            [
                "Verstuurd via uw eigen mailbox (SMTP): daar is het opvolgen van geopende "
                "e-mails niet beschikbaar, dus deze e-mail kan niet Gelezen worden.",
                "Hij wordt Gelezen wanneer een ontvanger hem opent met afbeeldingen zichtbaar",
                "Bcc-kopieën, ook uw eigen kopie, bevatten geen volgafbeelding",
                "De e-mail is onderweg en is nog niet afgeleverd.",
                "De status van de e-mail kon niet worden bepaald.",
            ],
        ),
        (
            "fr",
            [
                "Envoyé par votre propre boîte mail (SMTP) : le suivi des ouvertures n'y est "
                "pas disponible, cet e-mail ne peut donc pas devenir Lu.",
                "Il devient Lu quand un destinataire l'ouvre avec les images affichées",
                "Les copies en Cci, y compris votre propre copie, ne contiennent pas d'image",
                "L'e-mail est en route et n'a pas encore été distribué.",
                "Il n'a pas été possible de déterminer le statut de l'e-mail.",
            ],
        ),
    ],
)
def test_each_email_says_why_it_can_or_cannot_become_read_and_what_statuses_mean(
    owner_client, invoice, language, sentences
):
    make_email(invoice, transport="smtp", to=("quiet@klant.example",))
    tracked = make_email(invoice, to=(ADDRESS,), track_opens=True)
    tracked.recipients.create(address="me@acme.example", kind="bcc", position=1)
    text = timeline_text(owner_client, invoice, language)
    for sentence in sentences:
        assert sentence in text, sentence


def test_only_an_automatic_open_so_far_is_said_so(invoice):
    email = make_email(invoice, to=(ADDRESS,), track_opens=True)
    record_event(
        source="pixel",
        event=Event(EventType.OPENED, timezone.now(), machine=True, reason="Apple"),
        message_id=email.message_id,
        recipient=ADDRESS,
    )
    (entry,) = [e for e in document_timeline(invoice, timezone.now()) if e.email]
    assert entry.email.read_outlook.startswith("So far only an automatic open")
    assert entry.email.no_pixel_note == ""
