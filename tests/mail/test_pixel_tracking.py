"""Read obeys its setting and the image proxies, end to end: an invoice sent through the real
sandbox SMTP server, its pixel loaded over HTTP the way each kind of reader loads it, the worker
recording the open, and the status the document's timeline shows."""

import datetime as dt
import json
import re
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from porto.mail.delivery import email_deliver
from porto.mail.feedback.classify import webhook_events_classify
from porto.mail.feedback.pixel import pixel_token
from porto.mail.feedback.webhooks import classified_record
from porto.mail.models import DeliveryEvent, Recipient
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.sandbox.models import SandboxMessage
from tests.factories import make_email

from .test_pixel_view import (  # noqa: F401 (fixtures)
    THUNDERBIRD,
    base_url,
    load,
    pixel_in_the_sandbox_inbox,
    run_worker,
    send_tracked_invoice,
)

GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
GMAIL_PROXY_IP = "66.249.84.10"
YAHOO_PROXY = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"
YAHOO_PROXY_IP = "98.137.27.103"
HOME_IP = "81.82.83.84"


def opened(recipient: Recipient, *, seconds: int, user_agent: str, ip: str, url: str, capture):
    recipient.refresh_from_db()
    at = recipient.delivered_at + dt.timedelta(seconds=seconds)
    load(Client(), url, user_agent=user_agent, ip=ip, at=at, capture=capture)
    run_worker()
    recipient.refresh_from_db()
    return at


@pytest.mark.usefixtures("sandbox")
@pytest.mark.parametrize(
    ("user_agent", "ip", "proxy"),
    [(GMAIL_PROXY, GMAIL_PROXY_IP, "Gmail"), (YAHOO_PROXY, YAHOO_PROXY_IP, "Yahoo")],
)
def test_a_proxy_fetch_a_minute_after_delivery_makes_it_read(
    company, invoice, django_capture_on_commit_callbacks, user_agent, ip, proxy
):
    recipient = send_tracked_invoice(company, invoice)
    at = opened(
        recipient,
        seconds=60,
        user_agent=user_agent,
        ip=ip,
        url=pixel_in_the_sandbox_inbox(),
        capture=django_capture_on_commit_callbacks,
    )
    assert recipient.human_open_at == at
    assert recipient.status(at + dt.timedelta(seconds=1)) == Status.READ
    event = DeliveryEvent.objects.get(source="pixel")
    assert not event.machine and proxy in event.reason


@pytest.mark.usefixtures("sandbox")
@pytest.mark.parametrize(
    ("user_agent", "ip"), [(GMAIL_PROXY, GMAIL_PROXY_IP), (YAHOO_PROXY, YAHOO_PROXY_IP)]
)
def test_a_proxy_fetch_within_seconds_of_delivery_is_a_machine_open(
    company, invoice, django_capture_on_commit_callbacks, user_agent, ip
):
    recipient = send_tracked_invoice(company, invoice)
    at = opened(
        recipient,
        seconds=2,
        user_agent=user_agent,
        ip=ip,
        url=pixel_in_the_sandbox_inbox(),
        capture=django_capture_on_commit_callbacks,
    )
    assert recipient.machine_open_at == at and recipient.human_open_at is None
    assert recipient.status(at + dt.timedelta(seconds=1)) == Status.DELIVERED


def html_part(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=email_policy.default)
    return message.get_body(("html",)).get_content()


@pytest.mark.usefixtures("sandbox")
def test_tracking_off_a_pixel_load_is_kept_but_never_makes_read(
    company, invoice, django_capture_on_commit_callbacks
):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert not email.track_opens  # the company's default
    assert email_deliver(email.pk) == "sent"
    html = html_part(SandboxMessage.objects.get().raw)
    assert "<p" in html and not re.search(r'/t/[^"]+\.gif', html)  # the body, no pixel
    recipient = email.recipients.get()
    # A token still reaches the pixel URL (a forwarded older copy, a guessed link at worst).
    url = reverse("pixel", args=[pixel_token(recipient.pk, recipient.pixel_key)])
    at = opened(
        recipient,
        seconds=60,
        user_agent=THUNDERBIRD,
        ip=HOME_IP,
        url=url,
        capture=django_capture_on_commit_callbacks,
    )
    assert recipient.human_open_at == at  # the fact is stored
    assert recipient.status(at + dt.timedelta(hours=1)) == Status.DELIVERED


@pytest.mark.parametrize("track_opens", [False, True])
def test_a_provider_open_event_makes_read_only_with_tracking_on(invoice, track_opens):
    body = (Path(__file__).parent / "payloads" / "postmark" / "open.json").read_bytes()
    email = make_email(
        invoice,
        transport="provider",
        to=("boekhouding@klant.example",),
        provider_message_id="883953f4-6105-42a2-a16a-77a8eac79483",
        sent_through="postmark",
        track_opens=track_opens,
    )
    request = RequestFactory().post(
        "/webhooks/postmark/", data=body, content_type="application/json"
    )
    (item,) = webhook_events_classify("postmark", request)
    assert not item.event.machine  # Thunderbird: a person
    classified_record(item)
    recipient = Recipient.objects.select_related("email").get(email=email)
    later = item.event.at + dt.timedelta(minutes=1)
    expected = Status.READ if track_opens else Status.DELIVERED
    assert recipient.status(later) == expected
    assert json.loads(body)["RecordType"] == "Open"
