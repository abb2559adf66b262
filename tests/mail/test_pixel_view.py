"""The open pixel in the email and at its URL: always the same GIF, an open recorded later by
a task, human opens make Read, automatic ones only prove delivery."""

import datetime as dt
import re

import pytest
from django.test import Client
from freezegun import freeze_time

from porto.emailsettings.selectors import email_settings_for
from porto.mail.compose import as_bytes, compose, copies_for
from porto.mail.delivery import email_deliver
from porto.mail.feedback.pixel import PIXEL_GIF, pixel_token
from porto.mail.models import DeliveryEvent, OutgoingEmail, Recipient
from porto.mail.requests import SendRequest, email_send
from porto.mail.status import Status
from porto.sandbox import selectors as sandbox_selectors
from porto.sandbox.models import SandboxMessage
from tests.tasks import run_queued_tasks

from .tracking_helpers import email_with

THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.4.0"
APPLE_PROXY = "Mozilla/5.0"
APPLE_IP = "17.58.101.9"
HOME_IP = "81.82.83.84"
PIXEL_RE = re.compile(r'<img src="(http://testserver/t/[^"]+\.gif)"')


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.PORTO_BASE_URL = "http://testserver"


def run_worker() -> None:
    run_queued_tasks()


def load(http: Client, url: str, *, user_agent: str, ip: str, at: dt.datetime, capture):
    with freeze_time(at), capture(execute=True):
        response = http.get(url, HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    return response


def assert_the_gif(response) -> None:
    assert response.status_code == 200
    assert response.content == PIXEL_GIF
    assert response["Content-Type"] == "image/gif"
    assert response["Cache-Control"] == "no-store, max-age=0"
    assert response["Referrer-Policy"] == "no-referrer"
    assert not response.cookies


def html_of(email: OutgoingEmail) -> str:
    """The HTML of the one message every recipient gets (a provider's way)."""
    [shared] = copies_for(email, list(email.recipients.all()), envelope_apart=False)
    return shared.message.get_body(("html",)).get_content()


@pytest.mark.django_db
class TestCompose:
    def test_one_recipient_with_tracking_gets_a_pixel_at_an_absolute_url(self, company):
        email = email_with(company, ["boekhouding@klant.example"], track_opens=True)
        email.body_html = "<html><body><p>Beste klant</p></body></html>"
        recipient = email.recipients.get()

        html = html_of(email)

        token = pixel_token(recipient.pk, recipient.pixel_key)
        assert f'<img src="http://testserver/t/{token}.gif" width="1" height="1" alt=""' in html
        assert html.index("<img") < html.index("</body>")

    def test_the_same_bytes_every_time(self, company):
        email = email_with(company, ["boekhouding@klant.example"], track_opens=True)
        email.body_html = "<p>Beste klant</p>"
        assert as_bytes(compose(email)) == as_bytes(compose(email))

    def test_without_tracking_there_is_no_pixel(self, company):
        email = email_with(company, ["boekhouding@klant.example"], track_opens=False)
        email.body_html = "<p>Beste klant</p>"
        assert "/t/" not in html_of(email)

    @pytest.mark.parametrize("kind", ["to", "cc", "bcc"])
    def test_a_second_recipient_removes_the_pixel(self, company, kind):
        # Everyone gets the same message: an open could be anyone's (even the sender's copy).
        email = email_with(company, ["boekhouding@klant.example"], track_opens=True)
        email.body_html = "<p>Beste klant</p>"
        Recipient.objects.create(email=email, address="office@acme.example", kind=kind)
        assert "/t/" not in html_of(email)

    def test_every_recipient_has_its_own_random_key(self, company):
        email = email_with(company, ["a@klant.example", "b@klant.example"])
        keys = [r.pixel_key for r in email.recipients.all()]
        assert len(set(keys)) == 2 and all(len(k) >= 22 for k in keys)


@pytest.mark.django_db
class TestPixelView:
    @pytest.fixture
    def recipient(self, company):
        email = email_with(company, ["boekhouding@klant.example"], track_opens=True)
        found = email.recipients.get()
        Recipient.objects.filter(pk=found.pk).update(delivered_at=found.accepted_at)
        found.refresh_from_db()
        return found

    def url(self, recipient) -> str:
        return f"/t/{pixel_token(recipient.pk, recipient.pixel_key)}.gif"

    @pytest.mark.parametrize(
        "token",
        [
            "garbage",
            "1.q5Kx1Vb0nO2s3Wm7cY9dZg.forgedsignatureAAAAAAAAAAAAAAAAAAAAAA",
            "x" * 500,
            "..",
        ],
    )
    def test_bad_tokens_get_the_same_gif_and_record_nothing(
        self, client, token, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.get(f"/t/{token}.gif", HTTP_USER_AGENT=THUNDERBIRD)
        assert_the_gif(response)
        assert callbacks == []
        run_worker()
        assert DeliveryEvent.objects.count() == 0

    def test_a_truncated_token_gets_the_gif_and_records_nothing(
        self, client, recipient, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert_the_gif(client.get(self.url(recipient)[:-8] + ".gif"))
        assert callbacks == []

    def test_a_genuine_token_answers_at_once_and_the_worker_records_the_open(
        self, client, recipient, django_capture_on_commit_callbacks
    ):
        at = recipient.delivered_at + dt.timedelta(seconds=30)
        response = load(
            client,
            self.url(recipient),
            user_agent=THUNDERBIRD,
            ip=HOME_IP,
            at=at,
            capture=django_capture_on_commit_callbacks,
        )
        assert_the_gif(response)
        assert DeliveryEvent.objects.count() == 0  # not in the request

        run_worker()

        recipient.refresh_from_db()
        assert recipient.human_open_at == at
        assert recipient.status(at) == Status.READ

    def test_a_key_that_is_not_the_recipients_records_nothing(
        self, client, recipient, django_capture_on_commit_callbacks
    ):
        # Signed correctly (e.g. with a leaked SECRET_KEY) but with another random key.
        forged = f"/t/{pixel_token(recipient.pk, 'A' * 22)}.gif"
        at = recipient.delivered_at + dt.timedelta(minutes=5)
        response = load(
            client,
            forged,
            user_agent=THUNDERBIRD,
            ip=HOME_IP,
            at=at,
            capture=django_capture_on_commit_callbacks,
        )
        assert_the_gif(response)
        run_worker()
        assert DeliveryEvent.objects.count() == 0

    def test_a_second_load_of_the_same_moment_is_one_event(
        self, client, recipient, django_capture_on_commit_callbacks
    ):
        at = recipient.delivered_at + dt.timedelta(minutes=1)
        for _ in range(2):
            load(
                client,
                self.url(recipient),
                user_agent=THUNDERBIRD,
                ip=HOME_IP,
                at=at,
                capture=django_capture_on_commit_callbacks,
            )
        run_worker()
        assert DeliveryEvent.objects.filter(source="pixel").count() == 1

    def test_post_is_not_allowed(self, client, recipient):
        assert client.post(self.url(recipient)).status_code == 405


def send_tracked_invoice(company, invoice) -> Recipient:
    email_settings = email_settings_for(company)
    email_settings.track_opens = True
    email_settings.save()
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    assert email.track_opens
    assert email_deliver(email.pk) == "sent"
    run_worker()  # the wake-up task finds the email already sent: harmless
    return email.recipients.get()


def pixel_in_the_sandbox_inbox() -> str:
    """The image URL a mail client (the sandbox inbox's iframe) loads when it shows the email."""
    message = SandboxMessage.objects.get()
    (url,) = PIXEL_RE.findall(sandbox_selectors.message_html(message))
    return url.removeprefix("http://testserver")


def test_opening_the_invoice_in_a_mail_client_30_seconds_later_makes_it_read(
    sandbox, company, invoice, django_capture_on_commit_callbacks
):
    recipient = send_tracked_invoice(company, invoice)
    recipient.refresh_from_db()
    assert recipient.status() == Status.DELIVERED  # the sandbox reported it
    opened_at = recipient.delivered_at + dt.timedelta(seconds=30)

    response = load(
        Client(),
        pixel_in_the_sandbox_inbox(),
        user_agent=THUNDERBIRD,
        ip=HOME_IP,
        at=opened_at,
        capture=django_capture_on_commit_callbacks,
    )
    assert_the_gif(response)
    run_worker()

    recipient.refresh_from_db()
    assert recipient.human_open_at == opened_at
    assert recipient.status(opened_at + dt.timedelta(seconds=1)) == Status.READ


def test_an_apple_proxy_loading_it_right_after_delivery_leaves_it_delivered(
    sandbox, company, invoice, django_capture_on_commit_callbacks
):
    recipient = send_tracked_invoice(company, invoice)
    recipient.refresh_from_db()
    fetched_at = recipient.delivered_at + dt.timedelta(seconds=2)

    load(
        Client(),
        pixel_in_the_sandbox_inbox(),
        user_agent=APPLE_PROXY,
        ip=APPLE_IP,
        at=fetched_at,
        capture=django_capture_on_commit_callbacks,
    )
    run_worker()

    recipient.refresh_from_db()
    assert recipient.machine_open_at == fetched_at and recipient.human_open_at is None
    assert recipient.status(fetched_at + dt.timedelta(seconds=1)) == Status.DELIVERED
    event = DeliveryEvent.objects.get(source="pixel")
    assert event.machine and "Apple Mail Privacy Protection" in event.reason


@pytest.mark.django_db
def test_own_mailbox_never_gets_a_pixel(company):
    email = email_with(company, ["boekhouding@klant.example"], track_opens=True, transport="smtp")
    email.body_html = "<p>Beste klant</p>"
    assert "/t/" not in html_of(email)
