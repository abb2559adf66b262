"""The event round trip for every README provider: an invoice sent through the real anymail
backend (against the local fake of the provider's API), its stored message id, then each
documented event type, posted as the provider posts it (tests/mail/payloads/), read by the
provider's parser and recorded, gives the status a person expects.

The recorded payloads name another message and other addresses: the id and the address they
name are replaced, as text, by the ones of the email just sent, so nothing else changes.
"""

import json
from dataclasses import dataclass

import pytest
from django.utils import timezone

from porto.emailsettings.selectors import email_settings_for
from porto.mail.delivery import email_deliver
from porto.mail.feedback.classify import (
    request_rebuild,
    tracking_events_parse,
    webhook_events_classify,
)
from porto.mail.feedback.webhooks import classified_record
from porto.mail.message_ids import message_id_normalise
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from tests.mail.provider_api import FakeApi, api_start
from tests.mail.tracking_helpers import content_type, payload

TO = "compta@cafe-elysee.example"
IN_TRANSIT, DELIVERED, READ, FAILED = (
    Status.IN_TRANSIT,
    Status.DELIVERED,
    Status.READ,
    Status.FAILED,
)


@dataclass(frozen=True)
class Posted:
    """One recorded payload (``index``: one event of a batch) and the status it must give."""

    name: str
    status: Status
    index: int | None = None


ROUND_TRIPS: dict[str, list[Posted]] = {
    "postmark": [
        Posted("delivery", DELIVERED),
        Posted("bounce_hard", FAILED),
        Posted("bounce_soft", IN_TRANSIT),
        Posted("open", READ),
        Posted("open_apple_proxy", DELIVERED),
        Posted("spam_complaint", DELIVERED),
    ],
    "mailgun": [
        Posted("delivered", DELIVERED),
        Posted("failed_permanent", FAILED),
        Posted("failed_temporary", IN_TRANSIT),
        Posted("opened_human", READ),
        Posted("opened_apple_bot", DELIVERED),
    ],
    "sendgrid": [
        Posted("events", IN_TRANSIT, 0),  # processed
        Posted("events", IN_TRANSIT, 1),  # deferred
        Posted("events", DELIVERED, 2),
        Posted("events", DELIVERED, 3),  # sg_machine_open
        Posted("events", READ, 4),
        Posted("bounces", FAILED, 0),
        Posted("bounces", IN_TRANSIT, 1),  # blocked: temporary
        Posted("bounces", FAILED, 2),  # dropped
    ],
    "amazon_ses": [
        Posted("delivery", DELIVERED),
        Posted("bounce_permanent", FAILED),
        Posted("bounce_transient", IN_TRANSIT),
        Posted("delivery_delay", IN_TRANSIT),
        Posted("open", READ),
    ],
    "brevo": [
        Posted("request", IN_TRANSIT),
        Posted("delivered", DELIVERED),
        Posted("hard_bounce", FAILED),
        Posted("soft_bounce", IN_TRANSIT),
        Posted("unique_opened", READ),
        Posted("proxy_open", DELIVERED),
        Posted("complaint_without_ts_epoch", DELIVERED),
    ],
    "mailjet": [
        Posted("events", DELIVERED, 0),  # sent: the receiving server took it
        Posted("events", READ, 1),
        Posted("events", IN_TRANSIT, 2),  # soft bounce
        Posted("events", FAILED, 3),  # hard bounce
        Posted("events", DELIVERED, 4),  # spam complaint
    ],
    "resend": [
        Posted("email_sent", IN_TRANSIT),
        Posted("email_delivered", DELIVERED),
        Posted("email_delivery_delayed", IN_TRANSIT),
        Posted("email_bounced_permanent", FAILED),
        Posted("email_bounced_transient", IN_TRANSIT),
        Posted("email_failed", FAILED),
        Posted("email_opened", READ),
    ],
    "postal": [
        Posted("message_sent", DELIVERED),
        Posted("message_delayed", IN_TRANSIT),
        Posted("message_delivery_failed", FAILED),
        Posted("message_bounced", FAILED),
        Posted("message_loaded", READ),
        Posted("message_loaded_apple", DELIVERED),
    ],
    "sparkpost": [
        Posted("events", IN_TRANSIT, 1),  # injection
        Posted("events", IN_TRANSIT, 2),  # delay
        Posted("events", DELIVERED, 3),
        Posted("events", READ, 5),  # open by a person's mail program
        Posted("events", FAILED, 6),  # bounce
    ],
}


@pytest.fixture
def sent_through_provider(settings, company, invoice):
    """Send the invoice through a provider (tracking on); yields a function of the name."""
    started = []

    def send(name: str) -> tuple[FakeApi, Recipient]:
        running = api_start(name)
        started.append(running)
        settings.PORTO_MAIL_TRANSPORT = "provider"
        settings.PORTO_ANYMAIL_BACKEND = running.api.backend
        settings.ANYMAIL = running.api.settings()
        email_settings = email_settings_for(company)
        email_settings.track_opens = True
        email_settings.save()
        email = email_send(SendRequest(document=invoice, to=[TO]))
        assert email_deliver(email.pk) == "sent"
        return running.api, Recipient.objects.select_related("email").get(email=email)

    yield send
    for running in started:
        running.stop()


def body_of(provider: str, posted: Posted) -> bytes:
    body = payload(provider, posted.name)
    if posted.index is None:
        return body
    return json.dumps([json.loads(body)[posted.index]]).encode()


def renamed(provider: str, body: bytes, message_id: str, address: str) -> bytes:
    """``body`` with the message id and the (first) address it names replaced."""
    tracking = tracking_events_parse(provider, request_for(provider, body))[0]
    text = body.decode()
    recorded_id = message_id_normalise(tracking.message_id)
    assert recorded_id and recorded_id in text
    text = replaced(text, recorded_id, message_id)
    if tracking.recipient:
        text = text.replace(tracking.recipient, address)
    return text.encode()


def replaced(text: str, old: str, new: str) -> str:
    """Replace an id written as a JSON string or, for numeric ids (Mailjet), as a number."""
    quoted = not old.isdigit() or text[text.index(old) - 1] == '"'
    return text.replace(old, new if quoted or new.isdigit() else json.dumps(new))


def request_for(provider: str, body: bytes):
    return request_rebuild(body, {"Content-Type": content_type(provider)})


def post(provider: str, body: bytes) -> int:
    """What the webhook projection does with an authenticated request: classify, record."""
    recorded = 0
    for item in webhook_events_classify(provider, request_for(provider, body)):
        stored = classified_record(item)
        recorded += stored is not None and stored.recipient_id is not None
    return recorded


def forget_feedback(recipient: Recipient) -> None:
    """Back to just handed off: only the provider's acceptance is known."""
    DeliveryEvent.objects.filter(recipient=recipient).exclude(source="provider").delete()
    Recipient.objects.filter(pk=recipient.pk).update(
        last_deferred_at=None,
        delivered_at=None,
        failed_at=None,
        failure_code="",
        failure_reason="",
        human_open_at=None,
        machine_open_at=None,
        complained_at=None,
        last_deferral_reason="",
    )


@pytest.mark.parametrize("provider", sorted(ROUND_TRIPS))
def test_each_documented_event_reaches_the_email_sent_through_the_provider(
    provider, sent_through_provider
):
    api, recipient = sent_through_provider(provider)
    # The id as the provider names the message in its events (Brevo: in angle brackets).
    named = message_id_normalise(api.event_ids(api.calls[0])[TO])
    assert recipient.provider_message_id == named
    seen = {}
    for posted in ROUND_TRIPS[provider]:
        forget_feedback(recipient)
        body = renamed(provider, body_of(provider, posted), named, TO)
        assert post(provider, body) == 1, posted
        recipient.refresh_from_db()
        seen[(posted.name, posted.index)] = recipient.status(timezone.now())
    assert seen == {(p.name, p.index): p.status for p in ROUND_TRIPS[provider]}


@pytest.mark.parametrize("provider", sorted(ROUND_TRIPS))
def test_a_bounce_naming_an_email_sent_another_way_is_ignored_and_logged(
    provider, sent_through_provider, caplog
):
    """The provider's hard bounce, naming the Message-ID and the provider id of an email that
    went through another provider: refused, logged, nothing stored or changed."""
    other = "postmark" if provider != "postmark" else "brevo"
    _api, recipient = sent_through_provider(other)
    failing = next(p for p in ROUND_TRIPS[provider] if p.status == FAILED)
    body = body_of(provider, failing)
    for named in (recipient.provider_message_id, recipient.email.message_id):
        assert post(provider, renamed(provider, body, named, recipient.address)) == 0
    recipient.refresh_from_db()
    assert recipient.failed_at is None
    assert recipient.status(timezone.now()) == IN_TRANSIT
    assert not DeliveryEvent.objects.exclude(source="provider").exists()
    assert f"not sent through {provider}" in caplog.text


def test_a_provider_bounce_naming_an_email_sent_over_smtp_is_ignored(
    smtp_server, company, invoice, caplog
):
    """Sent over SMTP to a real server (the sandbox transport): a Postmark bounce naming its
    Message-ID changes nothing."""
    email = email_send(SendRequest(document=invoice, to=[TO]))
    assert email_deliver(email.pk) == "sent"
    email.refresh_from_db()
    assert (email.sent_through, email.sent_account) == (
        "sandbox",
        f"127.0.0.1:{smtp_server.port_number}",
    )
    body = renamed("postmark", payload("postmark", "bounce_hard"), email.message_id, TO)
    assert post("postmark", body) == 0
    assert Recipient.objects.get(email=email).failed_at is None
    assert "not sent through postmark" in caplog.text
