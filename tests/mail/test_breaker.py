"""The circuit breaker per way out (porto.mail.breaker), against a real SMTP server with faults
(tests/mail/smtpd.py) and the real own-SMTP transport: a wrong password or a server that is
down pauses the company's sending after PORTO_MAIL_BREAKER_FAILURES sessions, fails nothing,
tells the user what to fix, and resumes every waiting email exactly once."""

import datetime
from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from porto.emailsettings.selectors import email_settings_for
from porto.mail.breaker import pause_length
from porto.mail.delivery import emails_deliver, outbox_due
from porto.mail.models import OutgoingEmail, TransportBreaker
from porto.mail.reasons import reason_render
from porto.mail.requests import bulk_send
from porto.mail.status import Status
from porto.mail.tasks import wake_on_commit
from porto.mail.timeline import document_timeline
from tests.factories import make_company, make_finalized_in_bulk, make_user
from tests.mail.conftest import prestore_pdf
from tests.mail.smtpd import Rules, SmtpTestServer, free_port
from tests.tasks import run_queued_tasks

State = OutgoingEmail.State
PAUSED = OutgoingEmail.Held.PAUSED
USER = "acme"
RIGHT = "right-password"


@pytest.fixture
def login_server():
    """A real SMTP server that wants a login (USER, RIGHT)."""
    server = SmtpTestServer(Rules(credentials=(USER, RIGHT)))
    server.start()
    yield server
    server.stop()


FAST = 10_000  # emails per minute: the most the settings allow


def use_own_server(company, port: int, password: str = RIGHT) -> None:
    settings = email_settings_for(company)
    settings.method = "smtp"
    settings.smtp_host = "127.0.0.1"
    settings.smtp_port = port
    settings.smtp_security = "none"
    settings.smtp_username = USER
    settings.smtp_password = password
    settings.smtp_from_address = "facturen@acme.example"
    settings.smtp_per_minute = FAST  # these tests are about the breaker, not the sending limit
    settings.save()


def queued_bulk(company, count: int) -> list[int]:
    documents = make_finalized_in_bulk(company, count, clients=5)
    for document in documents:
        prestore_pdf(document)
    job = bulk_send(company, [d.pk for d in documents])
    return list(job.emails.order_by("pk").values_list("pk", flat=True))


def send_through_the_workers(email_ids: list[int], capture) -> None:
    """What the bulk page does (wake on commit) and what the database worker then runs."""
    with capture(execute=True):
        wake_on_commit(email_ids)
    run_queued_tasks()


def states(email_ids: list[int]) -> Counter:
    return Counter(
        OutgoingEmail.objects.filter(pk__in=email_ids).values_list("state", "held").iterator()
    )


def method_form(port: int, password: str) -> dict:
    return {
        "method": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": str(port),
        "smtp_security": "none",
        "smtp_username": USER,
        "smtp_password": password,
        "smtp_from_address": "facturen@acme.example",
        "smtp_per_minute": str(FAST),
        "imap_host": "",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_username": "",
        "imap_password": "",
        "imap_folder": "INBOX",
    }


def test_a_wrong_password_pauses_a_bulk_of_fifty_after_three_logins_and_fails_none(
    login_server, company, settings, django_capture_on_commit_callbacks
):
    settings.PORTO_MAIL_BREAKER_FAILURES = 3
    use_own_server(company, login_server.port_number, password="wrong-password")
    email_ids = queued_bulk(company, 50)

    send_through_the_workers(email_ids, django_capture_on_commit_callbacks)

    assert login_server.handler_obj.login_sessions == 3
    assert login_server.received == []
    assert states(email_ids) == {(State.QUEUED, PAUSED): 50}
    [breaker] = TransportBreaker.objects.all()
    assert breaker.company == company and breaker.is_open
    assert breaker.kind == "login" and breaker.code == "535"
    # Held emails do not count towards giving up: only the three that tried keep their attempt.
    attempts = Counter(OutgoingEmail.objects.values_list("attempts", flat=True))
    assert attempts == {0: 47, 1: 3}


def test_saving_the_fixed_password_in_the_settings_form_sends_all_fifty_exactly_once(
    login_server, company, owner_client, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    email_ids = queued_bulk(company, 50)
    send_through_the_workers(email_ids, django_capture_on_commit_callbacks)
    assert states(email_ids) == {(State.QUEUED, PAUSED): 50}

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("email_settings_method"), method_form(login_server.port_number, RIGHT)
        )
    assert response.status_code == 302
    run_queued_tasks()

    assert states(email_ids) == {(State.SENT, ""): 50}
    message_ids = Counter(message.message_id for message in login_server.received)
    assert len(message_ids) == 50 and set(message_ids.values()) == {1}
    assert TransportBreaker.objects.count() == 0
    page = owner_client.get(reverse("documents")).content.decode()
    assert "Sending is paused" not in page


def test_the_banner_says_what_happened_how_many_wait_and_what_to_fix(
    login_server, company, owner_client, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    email_ids = queued_bulk(company, 50)
    send_through_the_workers(email_ids, django_capture_on_commit_callbacks)

    page = owner_client.get(reverse("documents")).content.decode()
    assert "Sending is paused: your mail server refused the login." in page
    assert "Your SMTP server refused the login (535)" in page
    assert "50 emails wait; none is lost or failed." in page
    assert "Check the username and password in the email settings" in page
    assert f'href="{reverse("email_settings")}"' in page
    probe_at = TransportBreaker.objects.get().probe_at
    next_try = timezone.localtime(probe_at).strftime("%H:%M")
    assert f"Porto tries again at {next_try}, or as soon as the email settings are saved" in page


def test_the_banner_is_in_the_readers_language_and_every_page_shows_it(
    login_server, company, owner_client, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    send_through_the_workers(queued_bulk(company, 3), django_capture_on_commit_callbacks)

    for page in ("documents", "clients", "email_settings", "email_texts"):
        content = owner_client.get(reverse(page)).content.decode()
        assert "Sending is paused: your mail server refused the login." in content, page
    stored = TransportBreaker.objects.get().reason
    with translation.override("nl"):
        dutch_reason = reason_render(stored)
    assert dutch_reason != reason_render(stored) and "535" in dutch_reason
    owner_client.post(reverse("set_language"), {"language": "nl", "next": "/"})
    dutch = owner_client.get(reverse("documents")).content.decode()
    assert escape(dutch_reason) in dutch


def test_a_held_email_s_timeline_says_waiting_paused_not_failed(
    login_server, company, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    email_ids = queued_bulk(company, 4)
    send_through_the_workers(email_ids, django_capture_on_commit_callbacks)

    for email in OutgoingEmail.objects.filter(pk__in=email_ids):
        [entry] = [e for e in document_timeline(email.document, timezone.now()) if e.email]
        [line] = entry.email.recipients
        assert line.status == Status.IN_TRANSIT
        assert line.explanation.startswith(
            "Waiting: sending is paused (Sending through your SMTP server failed: Your SMTP "
            "server refused the login (535)"
        ), line.explanation
        assert "or as soon as the email settings are saved" in line.explanation


def test_an_outsider_sees_neither_the_banner_nor_the_count_of_another_company(
    login_server, company, owner_client, outsider, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    send_through_the_workers(queued_bulk(company, 5), django_capture_on_commit_callbacks)
    assert "5 emails wait" in owner_client.get(reverse("documents")).content.decode()

    outsider_browser = Client()
    outsider_browser.force_login(outsider)
    page = outsider_browser.get(reverse("documents")).content.decode()
    assert "Sending is paused" not in page
    assert "emails wait" not in page


def test_another_company_on_another_server_is_not_paused(
    login_server, company, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    other_server = SmtpTestServer(Rules(credentials=(USER, RIGHT)))
    other_server.start()
    try:
        other = make_company("Brouwerij Noord BV", slug="brouwerij-noord")
        use_own_server(other, other_server.port_number)
        mine, theirs = queued_bulk(company, 10), queued_bulk(other, 10)
        send_through_the_workers(sorted(mine + theirs), django_capture_on_commit_callbacks)
        assert states(mine) == {(State.QUEUED, PAUSED): 10}
        assert states(theirs) == {(State.SENT, ""): 10}
        assert len(other_server.received) == 10
    finally:
        other_server.stop()
    [breaker] = TransportBreaker.objects.all()
    assert breaker.company == company


def test_a_recipient_refused_with_550_still_fails_and_opens_no_breaker(
    login_server, company, settings, django_capture_on_commit_callbacks
):
    settings.PORTO_MAIL_BREAKER_FAILURES = 1
    use_own_server(company, login_server.port_number)
    email_ids = queued_bulk(company, 5)
    refused = OutgoingEmail.objects.get(pk=email_ids[0]).recipients.get().address
    login_server.rules.refuse[refused] = "550 5.1.1 No such user"

    send_through_the_workers(email_ids, django_capture_on_commit_callbacks)

    failed = OutgoingEmail.objects.filter(pk__in=email_ids, state=State.FAILED)
    assert set(failed.values_list("recipients__address", flat=True)) == {refused}
    assert OutgoingEmail.objects.filter(state=State.SENT).count() == 5 - failed.count()
    assert TransportBreaker.objects.count() == 0
    assert not OutgoingEmail.objects.filter(held=PAUSED).exists()


def test_a_server_that_refuses_connections_for_a_while_is_probed_and_resumes(company, settings):
    settings.PORTO_MAIL_BREAKER_FAILURES = 3
    port = free_port()  # nothing listens there yet: connections are refused
    use_own_server(company, port)
    email_ids = queued_bulk(company, 6)
    start = timezone.now() + datetime.timedelta(seconds=5)

    assert set(emails_deliver(email_ids, now=start).values()) == {"waiting"}
    breaker = TransportBreaker.objects.get()
    assert breaker.kind == "unreachable" and breaker.probe_at == start + pause_length(0)

    # The probe while the server is still down: one connection, then a longer pause.
    first_probe = breaker.probe_at + datetime.timedelta(seconds=1)
    assert set(emails_deliver(email_ids, now=first_probe).values()) == {"waiting"}
    breaker.refresh_from_db()
    assert breaker.probes_failed == 1
    assert breaker.probe_at == first_probe + pause_length(1)
    assert pause_length(1) == 2 * pause_length(0)

    server = SmtpTestServer(Rules(credentials=(USER, RIGHT)), port=port)
    server.start()
    try:
        second_probe = breaker.probe_at + datetime.timedelta(seconds=1)
        outcomes = emails_deliver(email_ids, now=second_probe)
        assert Counter(outcomes.values()) == {"sent": 1, "waiting": 5}
        assert TransportBreaker.objects.count() == 0
        # The probe's success made the others due at once; the sweeper wakes them.
        woken = set(outbox_due(second_probe + datetime.timedelta(seconds=1)))
        assert woken == {pk for pk, outcome in outcomes.items() if outcome == "waiting"}
        later = second_probe + datetime.timedelta(seconds=2)
        assert set(emails_deliver(sorted(woken), now=later).values()) == {"sent"}
    finally:
        server.stop()
    assert len({message.message_id for message in server.received}) == 6
    assert len(server.received) == 6
    assert states(email_ids) == {(State.SENT, ""): 6}


def test_after_a_long_pause_the_retry_window_starts_again_at_the_resume(
    company, login_server, settings
):
    settings.PORTO_MAIL_RETRY_FOR = 3600
    use_own_server(company, login_server.port_number, password="wrong-password")
    email_ids = queued_bulk(company, 3)
    start = timezone.now() + datetime.timedelta(seconds=5)
    assert set(emails_deliver(email_ids, now=start).values()) == {"waiting"}
    assert OutgoingEmail.objects.filter(first_attempt_at__isnull=False).count() == 3

    use_own_server(company, login_server.port_number)  # saved: the breaker closes
    assert OutgoingEmail.objects.filter(first_attempt_at__isnull=True).count() == 3
    two_days_later = start + datetime.timedelta(days=2)
    login_server.rules.defer_times = {
        OutgoingEmail.objects.get(pk=pk).recipients.get().address: 1 for pk in email_ids
    }
    # A temporary refusal after the pause is retried, not given up on: the window is new.
    assert set(emails_deliver(email_ids, now=two_days_later).values()) == {"retry"}


def test_a_member_of_the_company_sees_the_banner_too(
    login_server, company, client, django_capture_on_commit_callbacks
):
    use_own_server(company, login_server.port_number, password="wrong-password")
    send_through_the_workers(queued_bulk(company, 4), django_capture_on_commit_callbacks)
    client.force_login(make_user(company, role="member"))
    assert "4 emails wait" in client.get(reverse("documents")).content.decode()


@pytest.mark.parametrize(
    ("fault", "security", "kind", "code"),
    [
        (
            {"connect_reply": ["421 4.3.2 Too busy, come back later"] * 3},
            "none",
            "unreachable",
            "421",
        ),
        ({"refuse_starttls": True}, "starttls", "tls", ""),
    ],
)
def test_a_421_greeting_or_a_refused_starttls_pauses_the_way_and_fails_nothing(
    company, settings, fault, security, kind, code
):
    settings.PORTO_MAIL_BREAKER_FAILURES = 3
    server = SmtpTestServer(Rules(**fault))
    server.start()
    try:
        use_own_server(company, server.port_number)
        email_settings = email_settings_for(company)
        email_settings.smtp_security = security
        email_settings.save()
        email_ids = queued_bulk(company, 8)
        outcomes = emails_deliver(email_ids, now=timezone.now() + datetime.timedelta(seconds=5))
    finally:
        server.stop()
    assert set(outcomes.values()) == {"waiting"}
    assert states(email_ids) == {(State.QUEUED, PAUSED): 8}
    breaker = TransportBreaker.objects.get()
    assert (breaker.kind, breaker.code, breaker.is_open) == (kind, code, True)
    assert server.received == []
