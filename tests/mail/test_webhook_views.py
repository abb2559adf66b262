"""Provider webhooks over HTTP: authenticate, refuse bad input with a 4xx and nothing stored,
store the raw request, and project it (in the task) into each recipient's status."""

import datetime as dt
import json

import pytest

from porto.mail.feedback import webhooks
from porto.mail.models import DeliveryEvent, InboundWebhook, Recipient
from porto.mail.reasons import reason_render
from porto.mail.status import Status
from tests.mail.conftest import ok_from_postmark
from tests.tasks import run_queued_tasks

from .tracking_helpers import (
    TOPIC,
    Signed,
    anymail_settings,
    basic_auth,
    email_with,
    make_live,
    payload,
    post_webhook,
    provider_credentials,
)

pytestmark = pytest.mark.django_db

SOON = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # an hour after the payloads' events
POSTMARK_ID = "883953f4-6105-42a2-a16a-77a8eac79483"
MAILGUN_ID = "20260302090000.1.5F2E8B8C1A3D4E5F@send.example"
SENDGRID_ID = "5e7a5e4c-5a6e-4f4c-9c1f-7b2f5f1d2a10"  # anymail_id, what anymail returned on send
SES_ID = "0102018e0a1b2c3d-11111111-2222-3333-4444-555555555555-000000"
BREVO_ID = "202603020900.12345678901@smtp-relay.mailin.fr"
POSTAL_ID = "12345"  # Postal's message id per recipient, what anymail returned on send


@pytest.fixture(autouse=True)
def provider_settings(settings, monkeypatch):
    with provider_credentials(settings, monkeypatch):
        yield settings


@pytest.fixture
def deliver(client, settings, django_capture_on_commit_callbacks):
    """POST a webhook to the provider Porto sends through, then run the queued tasks with the
    real database worker."""

    def post(provider, body, headers, auth=None):
        make_live(settings, provider)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_webhook(client, provider, body, headers, auth)
        run_queued_tasks()
        return response

    return post


def recipient(address: str) -> Recipient:
    return Recipient.objects.select_related("email").get(address=address)


def refused(response, *fragments: str) -> None:
    assert response.status_code in (400, 401, 403, 404), response.content
    message = response.json()["error"]
    for fragment in fragments:
        assert fragment in message
    assert InboundWebhook.objects.count() == 0
    assert DeliveryEvent.objects.count() == 0


class TestPostmark:
    def test_a_hard_bounce_makes_the_recipient_failed_with_the_reason(self, deliver, company):
        email_with(company, ["niemand@klant.example"], POSTMARK_ID, sent_through="postmark")

        response = deliver("postmark", payload("postmark", "bounce_hard"), {})

        assert response.status_code == 200 and response.json() == {"received": 1}
        failed = recipient("niemand@klant.example")
        assert failed.status(SOON) == Status.FAILED
        assert reason_render(failed.failure_reason).startswith(
            "The recipient's server says the mailbox does not exist (550 5.1.1"
        )
        stored = InboundWebhook.objects.get()
        assert stored.processed_at is not None and stored.events_recorded == 1
        assert "Authorization" not in stored.headers and stored.headers

    def test_a_retried_delivery_is_answered_200_and_stored_once(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], POSTMARK_ID, sent_through="postmark")
        body = payload("postmark", "delivery")

        assert deliver("postmark", body, {}).json() == {"received": 1}
        again = deliver("postmark", body, {})

        assert again.status_code == 200
        assert again.json() == {"received": 0, "already_received": True}
        assert InboundWebhook.objects.count() == 1  # one row per distinct delivery
        assert DeliveryEvent.objects.filter(source="postmark").count() == 1
        assert recipient("boekhouding@klant.example").status(SOON) == Status.DELIVERED

    def test_a_mail_client_open_makes_it_read(self, deliver, company):
        email_with(
            company,
            ["boekhouding@klant.example"],
            POSTMARK_ID,
            sent_through="postmark",
            track_opens=True,
        )
        deliver("postmark", payload("postmark", "delivery"), {})
        deliver("postmark", payload("postmark", "open"), {})
        assert recipient("boekhouding@klant.example").status(SOON) == Status.READ

    def test_an_apple_proxy_open_only_proves_delivery(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], POSTMARK_ID, sent_through="postmark")
        deliver("postmark", payload("postmark", "open_apple_proxy"), {})
        found = recipient("boekhouding@klant.example")
        assert found.machine_open_at is not None and found.human_open_at is None
        assert found.status(SOON) == Status.DELIVERED

    @pytest.mark.parametrize("auth", [{}, "porto:wrong-password"])
    def test_missing_or_wrong_basic_auth_is_refused(self, deliver, company, auth):
        email_with(company, ["niemand@klant.example"], POSTMARK_ID, sent_through="postmark")
        credentials = auth if isinstance(auth, dict) else basic_auth(auth)
        response = deliver("postmark", payload("postmark", "bounce_hard"), {}, credentials)
        refused(response, "basic auth")
        assert recipient("niemand@klant.example").failed_at is None

    def test_a_body_that_is_not_json_is_a_400_with_the_reason(self, deliver):
        response = deliver("postmark", b"RecordType=Bounce", {})
        refused(response, "The body is not valid JSON")


class TestMailgun:
    def test_delivered_then_opened_by_a_person_is_read(self, deliver, company):
        email_with(
            company,
            ["boekhouding@klant.example"],
            MAILGUN_ID,
            sent_through="mailgun",
            track_opens=True,
        )

        for name in ("delivered", "opened_human"):
            body, headers = Signed.mailgun(payload("mailgun", name))
            assert deliver("mailgun", body, headers).status_code == 200

        found = recipient("boekhouding@klant.example")
        assert found.delivered_at is not None and found.human_open_at is not None
        assert found.status(SOON) == Status.READ

    def test_an_apple_bot_open_stays_delivered(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], MAILGUN_ID, sent_through="mailgun")
        for name in ("delivered", "opened_apple_bot"):
            deliver("mailgun", *Signed.mailgun(payload("mailgun", name)))
        assert recipient("boekhouding@klant.example").status(SOON) == Status.DELIVERED

    def test_a_wrong_signature_is_refused(self, deliver):
        body, headers = Signed.mailgun(payload("mailgun", "delivered"), key="guessed")
        refused(deliver("mailgun", body, headers), "signature")

    def test_a_stale_signature_is_refused_as_replayed(self, deliver):
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        body, headers = Signed.mailgun(payload("mailgun", "delivered"), at=stale)
        refused(deliver("mailgun", body, headers), "stale or replayed")

    def test_a_replay_inside_the_window_is_stored_and_recorded_once(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], MAILGUN_ID, sent_through="mailgun")
        body, headers = Signed.mailgun(payload("mailgun", "delivered"))
        deliver("mailgun", body, headers)
        assert deliver("mailgun", body, headers).json()["already_received"] is True
        assert InboundWebhook.objects.count() == 1
        assert DeliveryEvent.objects.count() == 1


class TestSendGrid:
    def test_a_machine_open_is_delivered_not_read(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], SENDGRID_ID, sent_through="sendgrid")
        events = json.loads(payload("sendgrid", "events"))
        machine = [e for e in events if e["event"] == "open" and e.get("sg_machine_open")]
        assert machine, "the documented payload has a machine open"
        body = json.dumps(machine).encode()

        response = deliver("sendgrid", *Signed.sendgrid(body))

        assert response.status_code == 200
        found = recipient("boekhouding@klant.example")
        assert found.machine_open_at is not None and found.human_open_at is None
        assert found.status(SOON) == Status.DELIVERED

    def test_the_whole_documented_batch(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], SENDGRID_ID, sent_through="sendgrid")
        body = payload("sendgrid", "events")
        deliver("sendgrid", *Signed.sendgrid(body))
        deliver("sendgrid", *Signed.sendgrid(body))  # SendGrid repeats itself: recorded once
        events = DeliveryEvent.objects.filter(source="sendgrid")
        assert events.count() == len({e.dedupe_key for e in events}) > 1
        assert events.filter(recipient__isnull=True).count() == 0

    def test_a_signature_by_another_key_is_refused(self, deliver):
        from cryptography.hazmat.primitives.asymmetric import ec

        other = ec.generate_private_key(ec.SECP256R1())
        body, headers = Signed.sendgrid(payload("sendgrid", "events"), private=other)
        refused(deliver("sendgrid", body, headers), "signature")

    def test_an_unsigned_request_is_refused(self, deliver):
        refused(deliver("sendgrid", payload("sendgrid", "events"), {}))


class TestAmazonSes:
    def test_a_permanent_bounce_fails_only_the_bounced_recipient(self, deliver, company):
        email_with(
            company,
            ["boekhouding@klant.example", "niemand@klant.example"],
            SES_ID,
            sent_through="amazon_ses",
        )

        response = deliver(
            "amazon_ses", *Signed.amazon_ses(payload("amazon_ses", "bounce_permanent"))
        )

        assert response.status_code == 200
        assert recipient("niemand@klant.example").status(SOON) == Status.FAILED
        assert recipient("boekhouding@klant.example").failed_at is None

    def test_a_transient_bounce_stays_in_transit(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], SES_ID, sent_through="amazon_ses")
        deliver("amazon_ses", *Signed.amazon_ses(payload("amazon_ses", "bounce_transient")))
        found = recipient("boekhouding@klant.example")
        assert found.failed_at is None and found.last_deferred_at is not None

    def test_a_forged_signature_is_refused(self, deliver):
        body, headers = Signed.amazon_ses(payload("amazon_ses", "delivery"), key_name="attacker")
        refused(deliver("amazon_ses", body, headers), "signature is wrong")

    def test_a_topic_not_allowed_is_refused(self, deliver):
        other = "arn:aws:sns:eu-west-1:999999999999:someone-else"
        body, headers = Signed.amazon_ses(payload("amazon_ses", "delivery"), TopicArn=other)
        refused(deliver("amazon_ses", body, headers), "not one of PORTO_SNS_TOPIC_ARNS")

    def test_without_credentials_sns_is_asked_for_them(self, deliver):
        response = deliver("amazon_ses", *Signed.amazon_ses(payload("amazon_ses", "delivery")), {})
        refused(response, "basic auth")
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")

    def subscription(self, url="https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"):
        message = {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37fb687f5d51e6e2425f004aed4ec0c8d2b5b4a0d1f1f4c0b5a1c2d3",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe to the topic. To confirm, visit the URL.",
            "SubscribeURL": url,
            "Timestamp": "2026-03-02T08:59:00.000Z",
            "SigningCertURL": (
                "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem"
            ),
        }
        return Signed.amazon_ses(json.dumps(message).encode())

    def test_a_verified_subscription_is_confirmed_once(self, deliver, monkeypatch):
        visited = []
        monkeypatch.setattr(webhooks, "sns_confirm", visited.append)

        response = deliver("amazon_ses", *self.subscription())

        assert response.status_code == 200
        assert visited == ["https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"]
        assert DeliveryEvent.objects.count() == 0

    def test_a_subscription_to_another_topic_is_not_confirmed(self, deliver, monkeypatch):
        visited = []
        monkeypatch.setattr(webhooks, "sns_confirm", visited.append)
        body, _ = self.subscription()
        other = "arn:aws:sns:eu-west-1:999999999999:someone-else"
        body, headers = Signed.amazon_ses(body, TopicArn=other)
        refused(deliver("amazon_ses", body, headers), "not one of PORTO_SNS_TOPIC_ARNS")
        assert visited == []

    def test_a_subscribe_url_off_the_sns_host_is_not_visited(self, deliver, monkeypatch):
        visited = []
        monkeypatch.setattr(webhooks, "sns_confirm", visited.append)
        deliver("amazon_ses", *self.subscription(url="https://evil.example/confirm"))
        assert visited == []
        assert "not an https URL on the topic's SNS host" in InboundWebhook.objects.get().error


class TestBrevo:
    def test_a_hard_bounce_fails(self, deliver, company):
        email_with(company, ["niemand@klant.example"], BREVO_ID, sent_through="brevo")
        assert deliver("brevo", payload("brevo", "hard_bounce"), {}).status_code == 200
        assert recipient("niemand@klant.example").status(SOON) == Status.FAILED

    def test_a_proxy_open_is_not_a_read(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], BREVO_ID, sent_through="brevo")
        deliver("brevo", payload("brevo", "proxy_open"), {})
        assert recipient("boekhouding@klant.example").status(SOON) == Status.DELIVERED

    def test_a_literal_custom_header_that_is_not_json_is_still_recorded(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], BREVO_ID, sent_through="brevo")
        response = deliver("brevo", payload("brevo", "bad_custom_header"), {})
        assert response.status_code == 200 and response.json() == {"received": 1}
        stored = InboundWebhook.objects.get()
        assert bytes(stored.body) == payload("brevo", "bad_custom_header")  # as received
        event = DeliveryEvent.objects.get(source="brevo")
        assert event.payload["X-Mailin-custom"] == json.dumps("porto_recipient=41")

    def test_wrong_basic_auth_is_refused(self, deliver):
        response = deliver("brevo", payload("brevo", "delivered"), {}, basic_auth("x:y"))
        refused(response, "basic auth")


class TestResend:
    def test_delivered(self, deliver, company):
        item = json.loads(payload("resend", "email_delivered"))
        email_with(
            company, [item["data"]["to"][0]], item["data"]["email_id"], sent_through="resend"
        )
        response = deliver("resend", *Signed.resend(payload("resend", "email_delivered")))
        assert response.status_code == 200
        assert recipient(item["data"]["to"][0]).status(SOON) == Status.DELIVERED

    def test_another_secret_is_refused(self, deliver):
        body, headers = Signed.resend(
            payload("resend", "email_delivered"), secret="whsec_" + "A" * 32
        )
        refused(deliver("resend", body, headers), "signature")

    def test_a_stale_request_is_refused(self, deliver):
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        refused(deliver("resend", *Signed.resend(payload("resend", "email_delivered"), at=old)))


class TestPostal:
    def test_a_bounce_fails(self, deliver, company):
        email_with(company, ["boekhouding@klant.example"], POSTAL_ID, sent_through="postal")
        response = deliver("postal", *Signed.postal(payload("postal", "message_bounced")))
        assert response.status_code == 200
        assert recipient("boekhouding@klant.example").status(SOON) == Status.FAILED

    def test_a_signature_by_another_key_is_refused(self, deliver):
        body, headers = Signed.postal(payload("postal", "message_sent"), key_name="attacker")
        refused(deliver("postal", body, headers), "signature is wrong")

    def test_an_unsigned_request_is_refused(self, deliver):
        refused(deliver("postal", payload("postal", "message_sent"), {}), "not signed")


class TestLinking:
    def test_an_event_before_its_email_is_kept_and_linked_when_the_id_is_known(
        self, deliver, company
    ):
        from porto.mail.events import events_link_unlinked

        response = deliver("postmark", payload("postmark", "delivery"), {})
        assert response.status_code == 200
        event = DeliveryEvent.objects.get()
        assert event.recipient is None  # unknown message id: kept, not an error

        email = email_with(company, ["boekhouding@klant.example"], sent_through="postmark")
        email.recipients.update(provider_message_id=POSTMARK_ID)
        events_link_unlinked(list(email.recipients.select_related("email")))

        event.refresh_from_db()
        assert event.recipient == recipient("boekhouding@klant.example")
        assert recipient("boekhouding@klant.example").status(SOON) == Status.DELIVERED


class TestRouting:
    def test_an_unknown_provider_is_404(self, client):
        url = "/webhooks/nobody/0123456789abcdef0123456789abcdef01234567/"
        assert client.post(url, data=b"{}", content_type="application/json").status_code == 404

    def test_get_is_not_allowed(self, client, settings):
        from porto.mail.feedback.webhook_gate import webhook_path

        make_live(settings, "postmark")
        assert client.get(webhook_path("postmark")).status_code == 405

    def test_no_csrf_token_is_needed(self, company, settings):
        from django.test import Client

        make_live(settings, "postmark")
        strict = Client(enforce_csrf_checks=True)
        email_with(company, ["boekhouding@klant.example"], POSTMARK_ID, sent_through="postmark")
        response = post_webhook(strict, "postmark", payload("postmark", "delivery"), {})
        assert response.status_code == 200


class TestSweep:
    def test_a_stored_request_whose_task_was_lost_is_projected_by_the_sweeper(
        self, client, company, settings
    ):
        from porto.mail.feedback.webhooks import webhooks_sweep

        make_live(settings, "postmark")
        email_with(company, ["niemand@klant.example"], POSTMARK_ID, sent_through="postmark")
        # No on-commit callbacks run: the enqueue never happened.
        response = post_webhook(client, "postmark", payload("postmark", "bounce_hard"), {})
        assert response.status_code == 200
        stored = InboundWebhook.objects.get()
        assert stored.processed_at is None

        later = stored.received_at + dt.timedelta(minutes=5)
        assert webhooks_sweep(now=stored.received_at) == 0  # still inside the grace period
        assert webhooks_sweep(now=later) == 1
        assert webhooks_sweep(now=later) == 0
        assert recipient("niemand@klant.example").status(SOON) == Status.FAILED


class TestEventsBeforeTheOutboxKnowsTheId:
    """The provider's webhook can beat the outbox's commit of the provider's message id."""

    MESSAGE_ID = "b7bc2f4a-e38e-4336-af7d-e6c392c2f817"

    def delivery_for(self, address: str) -> bytes:
        body = json.loads(payload("postmark", "delivery"))
        body.update(MessageID=self.MESSAGE_ID, Recipient=address)
        return json.dumps(body).encode()

    def test_linked_when_the_hand_off_answer_is_recorded(
        self, deliver, postmark, settings, invoice
    ):
        from porto.mail.delivery import email_deliver
        from porto.mail.requests import SendRequest, email_send

        settings.ANYMAIL = {**settings.ANYMAIL, **anymail_settings()}  # and webhook credentials

        email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
        deliver("postmark", self.delivery_for("compta@cafe-elysee.example"), {})
        assert DeliveryEvent.objects.get(source="postmark").recipient is None

        postmark.replies.append(ok_from_postmark("compta@cafe-elysee.example", self.MESSAGE_ID))
        assert email_deliver(email.pk) == "sent"

        found = email.recipients.get()
        assert DeliveryEvent.objects.get(source="postmark").recipient == found
        assert found.delivered_at is not None

    def test_linked_when_a_crashed_workers_answer_is_recovered(self, deliver, company):
        from dataclasses import asdict

        from porto.mail.delivery import email_deliver
        from porto.mail.models import DeliveryAttempt, OutgoingEmail
        from porto.mail.transports.base import RecipientResult

        email = email_with(company, ["compta@cafe-elysee.example"], sent_through="postmark")
        Recipient.objects.filter(email=email).update(accepted_at=None)
        expired = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        OutgoingEmail.objects.filter(pk=email.pk).update(
            state=OutgoingEmail.State.SENDING, lease_until=expired, attempts=1
        )
        answer = RecipientResult(accepted=True, provider_message_id=self.MESSAGE_ID)
        DeliveryAttempt.objects.create(
            email=email,
            number=1,
            lease_token="dead-worker",
            started_at=expired,
            answer={"compta@cafe-elysee.example": asdict(answer)},
        )
        deliver("postmark", self.delivery_for("compta@cafe-elysee.example"), {})
        assert DeliveryEvent.objects.get(source="postmark").recipient is None

        assert email_deliver(email.pk) == "sent"  # recovered, not sent again

        found = email.recipients.get()
        assert DeliveryEvent.objects.get(source="postmark").recipient == found
        assert found.delivered_at is not None


GARBAGE = [b"", b"null", b"[]", b"{}", b"[1, 2]", b'{"event": 5}', b"\xff\xfe\x00", b"a=b&c"]


PROVIDER_NAMES = ["postmark", "mailgun", "sendgrid", "amazon_ses", "brevo", "resend", "postal"]


@pytest.mark.parametrize("provider", [*PROVIDER_NAMES, "sparkpost", "mailjet"])
@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_with_valid_credentials_is_never_a_500(deliver, provider, body):
    """Refused with the reason, or (a well-formed body naming no event, like a provider's test
    ping) stored and answered 200 with nothing recorded."""
    response = deliver(provider, body, {})
    if response.status_code == 200:
        assert response.json() == {"received": 0}
        assert DeliveryEvent.objects.count() == 0
    else:
        refused(response)
        assert response.json()["error"]
