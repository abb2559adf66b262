"""Update status: each provider's status client against its documented answers, the window,
the refusals (no API, outside the window, already running, cooldown) and the poll schedule."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from porto.mail.feedback.refresh.services import (
    email_refresh,
    email_refresh_request,
    refresh_due,
    refresh_poll,
    refresh_refusal,
)
from porto.mail.models import DeliveryEvent, OutgoingEmail, Recipient
from porto.mail.providers import policy_for
from porto.mail.providers.base import status as status_base
from porto.mail.providers.base.status import (
    RateLimit,
    RateLimiter,
    RefreshFailed,
    RefreshRefused,
)
from porto.mail.reasons import reason_render
from porto.mail.status import Status
from porto.sandbox.services import sandbox_message_receive
from tests.factories import make_email, make_user
from tests.mail.refresh_fakes import FakeSession, answer
from tests.tasks import enqueued_tasks

SENT = datetime.datetime(2026, 11, 20, 14, 14, 3, tzinfo=datetime.UTC)
LATER = SENT + datetime.timedelta(days=2)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(status_base, "_limiters", {})
    monkeypatch.setattr(status_base.time, "sleep", lambda seconds: None)


def provider(settings, name: str, **anymail) -> None:
    settings.PORTO_ANYMAIL_BACKEND = f"anymail.backends.{name}.EmailBackend"
    settings.ANYMAIL = anymail


def statuses(email) -> dict[str, Status]:
    return {r.address: r.status(LATER) for r in Recipient.objects.filter(email=email)}


def test_postmark_message_details(settings, invoice):
    provider(settings, "postmark", POSTMARK_SERVER_TOKEN="server-token")
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example", "marie@cafe.example"),
        track_opens=True,
        provider_message_id="07311c54-0687-4ab9-b034-b54b5bad88ba",
    )
    url = (
        "https://api.postmarkapp.com/messages/outbound/07311c54-0687-4ab9-b034-b54b5bad88ba/details"
    )
    session = FakeSession({("GET", url): (200, answer("postmark_details.json"))})
    assert email_refresh(email.pk, now=LATER, session=session) == 3
    assert statuses(email) == {
        "jean@cafe.example": Status.READ,
        "marie@cafe.example": Status.FAILED,
    }
    marie = Recipient.objects.get(email=email, address="marie@cafe.example")
    assert reason_render(marie.failure_reason).startswith(
        "The recipient's server says the mailbox does not exist"
    )
    assert "550 5.1.1" in reason_render(marie.failure_reason)
    assert session.calls[0]["headers"]["X-Postmark-Server-Token"] == "server-token"
    # Asking again records nothing new: the same events have the same keys.
    assert email_refresh(email.pk, now=LATER, session=session) == 0
    assert DeliveryEvent.objects.filter(source="postmark-api").count() == 3


def test_mailgun_events_with_a_bot_open(settings, invoice):
    provider(
        settings, "mailgun", MAILGUN_API_KEY="key-1", MAILGUN_SENDER_DOMAIN="send.porto.example"
    )
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example", "marie@cafe.example"),
        provider_message_id="20261120141403.1.ABC@acme.example",
    )
    url = "https://api.mailgun.net/v3/send.porto.example/events"
    session = FakeSession({("GET", url): (200, answer("mailgun_events.json"))})
    email_refresh(email.pk, now=LATER, session=session)
    jean = Recipient.objects.get(email=email, address="jean@cafe.example")
    assert jean.status(LATER) == Status.DELIVERED  # Apple's bot opened it: not a read
    assert jean.machine_open_at is not None and jean.human_open_at is None
    assert statuses(email)["marie@cafe.example"] == Status.FAILED
    assert session.calls[0]["params"]["message-id"] == "20261120141403.1.ABC@acme.example"
    assert session.calls[0]["auth"] == ("api", "key-1")


def test_sendgrid_deferred_then_bounced(settings, invoice):
    provider(settings, "sendgrid", SENDGRID_API_KEY="SG.key")
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example",),
        provider_message_id="filter0001.16648.5515E0B88.0",
    )
    url = "https://api.sendgrid.com/v3/messages/filter0001.16648.5515E0B88.0"
    session = FakeSession({("GET", url): (200, answer("sendgrid_message.json"))})
    email_refresh(email.pk, now=LATER, session=session)
    jean = Recipient.objects.get(email=email)
    assert jean.status(LATER) == Status.FAILED
    assert reason_render(jean.failure_reason).startswith("The recipient's mailbox is full")
    assert jean.last_deferred_at is not None
    assert session.calls[0]["headers"]["Authorization"] == "Bearer SG.key"


def test_sparkpost_events_by_transmission(settings, invoice):
    provider(settings, "sparkpost", SPARKPOST_API_KEY="sp-key")
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example", "marie@cafe.example"),
        track_opens=True,
        provider_message_id="65832150921904138",
    )
    url = "https://api.sparkpost.com/api/v1/events/message"
    session = FakeSession({("GET", url): (200, answer("sparkpost_events.json"))})
    assert email_refresh(email.pk, now=LATER, session=session) == 5
    assert statuses(email) == {
        "jean@cafe.example": Status.READ,  # Thunderbird opened it: a person
        "marie@cafe.example": Status.FAILED,
    }
    marie = Recipient.objects.get(email=email, address="marie@cafe.example")
    assert reason_render(marie.failure_reason).startswith(
        "The recipient's server says the mailbox does not exist"
    )
    assert "550 5.1.1" in reason_render(marie.failure_reason)
    call = session.calls[0]
    assert call["headers"]["Authorization"] == "sp-key"
    # anymail's message id is the transmission id; the search covers the whole retention.
    assert call["params"]["transmissions"] == "65832150921904138"
    assert call["params"]["from"] == "2026-11-12T14:14:03Z"
    assert email_refresh(email.pk, now=LATER + datetime.timedelta(minutes=2), session=session) == 0


def test_brevo_proxy_load_then_a_human_open(settings, invoice):
    provider(settings, "brevo", BREVO_API_KEY="xkeysib-1")
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example",),
        track_opens=True,
        provider_message_id="202611201414.12345678901@smtp-relay.mailin.fr",
    )
    url = "https://api.brevo.com/v3/smtp/statistics/events"
    session = FakeSession({("GET", url): (200, answer("brevo_events.json"))})
    email_refresh(email.pk, now=LATER, session=session)
    jean = Recipient.objects.get(email=email)
    assert jean.machine_open_at is not None
    assert jean.status(LATER) == Status.READ
    assert session.calls[0]["params"]["messageId"] == (
        "<202611201414.12345678901@smtp-relay.mailin.fr>"
    )


def test_resend_last_event(settings, invoice):
    provider(settings, "resend", RESEND_API_KEY="re_123")
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example",),
        provider_message_id="4ef9a417-02e9-4d39-ad75-9611e0fcc33c",
    )
    url = "https://api.resend.com/emails/4ef9a417-02e9-4d39-ad75-9611e0fcc33c"
    session = FakeSession({("GET", url): (200, answer("resend_email.json"))})
    now = SENT + datetime.timedelta(hours=5)  # Resend keeps a few days only
    email_refresh(email.pk, now=now, session=session)
    assert Recipient.objects.get(email=email).status(now) == Status.FAILED


def test_postal_deliveries(settings, invoice):
    provider(settings, "postal", POSTAL_API_URL="https://postal.example", POSTAL_API_KEY="srv-key")
    email = make_email(
        invoice,
        transport="provider",
        handed_off_at=SENT,
        to=("jean@cafe.example",),
        provider_message_id="12345",
    )
    url = "https://postal.example/api/v1/messages/deliveries"
    session = FakeSession({("POST", url): (200, answer("postal_deliveries.json"))})
    email_refresh(email.pk, now=LATER, session=session)
    jean = Recipient.objects.get(email=email)
    assert jean.status(LATER) == Status.DELIVERED
    assert jean.last_deferred_at is not None  # the SoftFail before
    assert session.calls[0]["json"] == {"id": 12345}
    assert session.calls[0]["headers"]["X-Server-API-Key"] == "srv-key"


def test_sandbox_reads_its_inbox(invoice):
    email = make_email(invoice, transport="sandbox", handed_off_at=SENT, to=("jean@cafe.example",))
    sandbox_message_receive(
        envelope_from="acme@send.example",
        recipients=["jean@cafe.example"],
        raw=(
            f"Message-ID: <{email.message_id}>\r\nSubject: x\r\nFrom: a@b.example\r\n"
            "To: jean@cafe.example\r\n\r\nhello\r\n"
        ).encode(),
        received_at=SENT + datetime.timedelta(seconds=2),
    )
    Recipient.objects.filter(email=email).update(delivered_at=None)  # as if the report was lost
    DeliveryEvent.objects.all().delete()
    email_refresh(email.pk, now=LATER)
    assert Recipient.objects.get(email=email).status(LATER) == Status.DELIVERED


def test_after_switching_providers_update_status_asks_the_one_the_email_went_through(
    settings, invoice
):
    provider(settings, "postmark", POSTMARK_SERVER_TOKEN="server-token")
    email = make_email(
        invoice,
        transport="provider",
        sent_through="postmark",
        handed_off_at=SENT,
        to=("jean@cafe.example", "marie@cafe.example"),
        provider_message_id="07311c54-0687-4ab9-b034-b54b5bad88ba",
    )
    provider(settings, "brevo", BREVO_API_KEY="xkeysib-1")  # the platform moved to Brevo
    assert refresh_refusal(email, LATER) == ""
    url = (
        "https://api.postmarkapp.com/messages/outbound/07311c54-0687-4ab9-b034-b54b5bad88ba/details"
    )
    session = FakeSession({("GET", url): (200, answer("postmark_details.json"))})
    assert email_refresh(email.pk, now=LATER, session=session) == 3
    assert [call["url"] for call in session.calls] == [url]


def test_an_email_sent_through_amazon_ses_is_refused_even_when_postmark_is_configured_now(
    settings, invoice
):
    provider(settings, "postmark", POSTMARK_SERVER_TOKEN="server-token")
    email = make_email(invoice, transport="provider", sent_through="amazon_ses", handed_off_at=SENT)
    assert "Amazon SES has no API" in refresh_refusal(email, LATER)


def test_a_provider_refusing_the_key_is_a_clear_failure(settings, invoice):
    provider(settings, "postmark", POSTMARK_SERVER_TOKEN="wrong")
    email = make_email(invoice, transport="provider", handed_off_at=SENT, provider_message_id="x1")
    url = "https://api.postmarkapp.com/messages/outbound/x1/details"
    session = FakeSession({("GET", url): (401, {"ErrorCode": 10, "Message": "Bad token"})})
    with pytest.raises(RefreshFailed, match="refused Porto's API key"):
        email_refresh(email.pk, now=LATER, session=session)
    email.refresh_from_db()
    assert "API key" in reason_render(email.refresh_error)
    assert email.refresh_finished_at is not None


def test_a_failed_update_status_is_shown_on_the_timeline_in_the_readers_language(settings, invoice):
    provider(settings, "postmark", POSTMARK_SERVER_TOKEN="wrong")
    email = make_email(invoice, transport="provider", handed_off_at=SENT, provider_message_id="x1")
    url = "https://api.postmarkapp.com/messages/outbound/x1/details"
    session = FakeSession({("GET", url): (401, {"ErrorCode": 10, "Message": "Bad token"})})
    with pytest.raises(RefreshFailed):
        email_refresh(email.pk, now=LATER, session=session)  # in the worker, in English
    email.refresh_from_db()
    with translation.override("nl"):
        shown = reason_render(email.refresh_error)
    assert shown.startswith("Postmark weigerde")
    assert "API key" not in shown and "(HTTP 401)" in shown


# --- windows and refusals ----------------------------------------------------------------------


def test_windows_are_the_retention_minus_a_margin_capped_at_25_days(settings):
    settings.PORTO_REFRESH_RESEND_RETENTION_DAYS = 3
    days = {name: policy_for(name).window.days for name in ("postmark", "sendgrid", "sparkpost")}
    assert days == {"postmark": 25, "sendgrid": 25, "sparkpost": 9}
    assert policy_for("resend").window.days == 2
    assert policy_for("amazon_ses").window.days == 0


def test_an_email_handed_off_26_days_ago_is_refused_with_the_reason(invoice):
    email = make_email(invoice, transport="sandbox", handed_off_at=SENT)
    now = SENT + datetime.timedelta(days=26)
    with pytest.raises(RefreshRefused, match="can no longer be updated") as refused:
        email_refresh_request(email, now=now)
    assert "25 days" in refused.value.message
    assert refresh_refusal(email, SENT + datetime.timedelta(days=24)) == ""


def test_amazon_ses_has_no_status_api(settings, invoice):
    provider(settings, "amazon_ses")
    email = make_email(invoice, transport="provider", handed_off_at=SENT)
    with pytest.raises(RefreshRefused, match="Amazon SES has no API"):
        email_refresh_request(email, now=SENT + datetime.timedelta(minutes=5))


def test_own_smtp_without_imap_settings_is_refused(invoice):
    email = make_email(invoice, transport="smtp", handed_off_at=SENT)
    with pytest.raises(RefreshRefused, match="IMAP settings"):
        email_refresh_request(email, now=SENT + datetime.timedelta(hours=1))


def test_running_and_cooldown_refusals(invoice, django_capture_on_commit_callbacks):
    email = make_email(invoice, transport="sandbox", handed_off_at=SENT)
    now = SENT + datetime.timedelta(hours=1)
    with django_capture_on_commit_callbacks() as callbacks:
        email_refresh_request(email, now=now)
    assert callbacks == []  # it claims; the caller (the view) queues the task
    fresh = OutgoingEmail.objects.get(pk=email.pk)
    with pytest.raises(RefreshRefused, match="already asking"):
        email_refresh_request(fresh, now=now + datetime.timedelta(seconds=5))
    email_refresh(email.pk, now=now + datetime.timedelta(seconds=6))
    fresh = OutgoingEmail.objects.get(pk=email.pk)
    with pytest.raises(RefreshRefused, match="try again in"):
        email_refresh_request(fresh, now=now + datetime.timedelta(seconds=30))
    fresh = OutgoingEmail.objects.get(pk=email.pk)
    email_refresh_request(fresh, now=now + datetime.timedelta(seconds=61))


def test_a_stale_copy_cannot_take_a_running_refresh(invoice):
    """Two requests with the same old view of the row: the conditional UPDATE lets one in."""
    email = make_email(invoice, transport="sandbox", handed_off_at=SENT)
    first, second = (OutgoingEmail.objects.get(pk=email.pk) for _ in range(2))
    now = SENT + datetime.timedelta(hours=1)
    email_refresh_request(first, now=now)
    with pytest.raises(RefreshRefused, match="already asking"):
        email_refresh_request(second, now=now)


def test_the_rate_limiter_spaces_requests():
    clock = [100.0]
    slept: list[float] = []
    limiter = RateLimiter(RateLimit(2, 1), clock=lambda: clock[0], sleep=slept.append)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.5, 1.0]


# --- the poll schedule ------------------------------------------------------------------------


def test_the_poll_picks_exactly_the_due_recipients(invoice, django_capture_on_commit_callbacks):
    now = timezone.now().replace(microsecond=0)
    ago = lambda **kw: now - datetime.timedelta(**kw)  # noqa: E731
    too_soon = make_email(invoice, handed_off_at=ago(minutes=10))
    first_poll = make_email(invoice, handed_off_at=ago(minutes=20))
    polled_after_point = make_email(
        invoice, handed_off_at=ago(hours=3), refresh_started_at=ago(minutes=30)
    )
    polled_before_point = make_email(
        invoice, handed_off_at=ago(hours=3), refresh_started_at=ago(hours=2, minutes=30)
    )
    delivered = make_email(invoice, handed_off_at=ago(hours=1))
    Recipient.objects.filter(email=delivered).update(delivered_at=ago(minutes=59))
    outside = make_email(invoice, handed_off_at=ago(days=26))
    eight_days = make_email(invoice, handed_off_at=ago(days=8), refresh_started_at=ago(days=1))
    due = {e.pk for e in refresh_due(now)}
    assert due == {first_poll.pk, polled_before_point.pk}
    assert not {too_soon.pk, polled_after_point.pk, delivered.pk, outside.pk, eight_days.pk} & due
    with django_capture_on_commit_callbacks():
        assert len(refresh_poll(now)) == 2
    assert refresh_due(now) == []  # claimed: not due again


def test_the_sweeper_runs_the_poll(invoice, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.management import call_command

    # The command closes stale connections between rounds; here that is the test's own.
    monkeypatch.setattr(
        "porto.mail.management.commands.mail_sweeper.close_old_connections", lambda: None
    )
    due = make_email(invoice, handed_off_at=timezone.now() - datetime.timedelta(minutes=20))
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("mail_sweeper", "--once", verbosity=0)
    assert len(callbacks) == 1
    assert OutgoingEmail.objects.get(pk=due.pk).refresh_started_at is not None


@pytest.mark.parametrize("body", [["not", "an", "object"], {"MessageEvents": "oops"}, "<html>"])
def test_an_answer_of_another_shape_changes_nothing(settings, invoice, body):
    provider(settings, "postmark", POSTMARK_SERVER_TOKEN="t")
    email = make_email(invoice, transport="provider", handed_off_at=SENT, provider_message_id="m1")
    url = "https://api.postmarkapp.com/messages/outbound/m1/details"
    session = FakeSession({("GET", url): (200, body)})
    with pytest.raises(RefreshFailed, match="Postmark answered"):
        email_refresh(email.pk, now=LATER, session=session)
    assert not DeliveryEvent.objects.exists()
    assert Recipient.objects.get(email=email).status(LATER) == Status.IN_TRANSIT


def test_the_update_status_button_queues_one_refresh_after_the_claim_commits(
    client, invoice, django_capture_on_commit_callbacks
):
    email = make_email(
        invoice, transport="sandbox", handed_off_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client.force_login(make_user(invoice.company))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("email_refresh", args=[email.pk]))
    assert response.status_code == 302
    [queued] = enqueued_tasks()
    assert queued.task.module_path == "porto.mail.feedback.tasks.refresh_email"
    assert queued.args == [email.pk]
    assert OutgoingEmail.objects.get(pk=email.pk).refresh_started_at is not None
