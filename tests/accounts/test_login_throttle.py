"""Login throttling through the real login forms (the app's and the admin's): failures are
counted in the database per username and per client address; a locked login is refused even
with the right password, in the reader's language, until the window has passed."""

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import ngettext
from freezegun import freeze_time

from porto.accounts.models import LoginFailure
from tests.factories import make_user

PASSWORD = "s3cret-pass!"  # tests/factories.make_user
# Near the real clock: a session made under a frozen clock far in the past would have expired.
START = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PORTO_LOGIN_FAILURES = 5
    settings.PORTO_LOGIN_FAILURES_PER_IP = 20
    settings.PORTO_LOGIN_WINDOW_MINUTES = 15
    settings.PORTO_CLIENT_IP_HEADER = ""


def log_in(client, username: str, password: str, ip: str = "203.0.113.7", **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def fail(client, username: str, times: int, ip: str = "203.0.113.7") -> None:
    for _ in range(times):
        response = log_in(client, username, "wrong-password", ip)
        assert "That username and password do not match" in response.content.decode()


def test_the_sixth_attempt_is_refused_with_the_message_even_with_the_right_password(client, owner):
    with freeze_time(START):
        fail(client, "owner", 5)
        response = log_in(client, "owner", PASSWORD)
    assert response.status_code == 200
    assert not logged_in(client)
    assert (
        "Too many failed attempts to log in. Try again in 15 minutes." in response.content.decode()
    )


def test_the_refusal_is_in_the_readers_language(client, owner):
    with freeze_time(START):
        fail(client, "owner", 5)
        response = log_in(client, "owner", PASSWORD, HTTP_ACCEPT_LANGUAGE="nl")
    page = response.content.decode()
    assert 'lang="nl"' in page
    with translation.override("nl"):
        dutch = ngettext(
            "Too many failed attempts to log in. Try again in %(minutes)d minute.",
            "Too many failed attempts to log in. Try again in %(minutes)d minutes.",
            15,
        ) % {"minutes": 15}
    assert escape(dutch) in page


def test_four_failures_still_let_the_right_password_in(client, owner):
    with freeze_time(START):
        fail(client, "owner", 4)
        log_in(client, "owner", PASSWORD)
    assert logged_in(client)


def test_another_username_is_not_affected(client, owner, teammate):
    with freeze_time(START):
        fail(client, "owner", 5)
        log_in(client, "teammate", PASSWORD)
    assert logged_in(client)


def test_the_username_is_counted_whatever_its_case(client, owner):
    with freeze_time(START):
        fail(client, "OWNER", 3)
        fail(client, "owner", 2)
        response = log_in(client, "owner", PASSWORD)
    assert not logged_in(client)
    assert "Too many failed attempts" in response.content.decode()


def test_when_the_window_has_passed_the_right_password_logs_in_again(client, owner):
    with freeze_time(START) as clock:
        fail(client, "owner", 5)
        clock.tick(datetime.timedelta(minutes=14))
        response = log_in(client, "owner", PASSWORD)
        assert "Try again in 1 minute." in response.content.decode()
        assert not logged_in(client)
        clock.tick(datetime.timedelta(minutes=1, seconds=1))
        log_in(client, "owner", PASSWORD)
    assert logged_in(client)


def test_attempts_refused_while_locked_do_not_extend_the_lock(client, owner):
    with freeze_time(START) as clock:
        fail(client, "owner", 5)
        for _ in range(10):
            clock.tick(datetime.timedelta(minutes=1))
            log_in(client, "owner", "wrong-password")
        clock.tick(datetime.timedelta(minutes=5, seconds=1))
        log_in(client, "owner", PASSWORD)
    assert logged_in(client)


def test_a_successful_login_clears_the_usernames_failures(client, owner):
    with freeze_time(START):
        fail(client, "owner", 4)
        log_in(client, "owner", PASSWORD)
        assert logged_in(client)
        assert not LoginFailure.objects.filter(username="owner").exists()
        client.logout()
        fail(client, "owner", 4)
        log_in(client, "owner", PASSWORD)
    assert logged_in(client)


def test_an_empty_password_does_not_clear_the_failures(client, owner):
    with freeze_time(START):
        fail(client, "owner", 4)
        log_in(client, "owner", "")
        fail(client, "owner", 1)
        response = log_in(client, "owner", PASSWORD)
    assert not logged_in(client)
    assert "Too many failed attempts" in response.content.decode()


def test_failures_are_rows_in_the_database_with_username_address_and_time(client, owner):
    with freeze_time(START):
        fail(client, "Owner", 2, ip="198.51.100.4")
    rows = list(LoginFailure.objects.values_list("username", "ip", "at"))
    assert rows == [("owner", "198.51.100.4", START)] * 2


def test_rows_older_than_the_window_are_deleted_when_a_new_failure_is_counted(client, owner):
    with freeze_time(START) as clock:
        fail(client, "owner", 3)
        clock.tick(datetime.timedelta(minutes=16))
        fail(client, "owner", 1)
    assert list(LoginFailure.objects.values_list("at", flat=True)) == [
        START + datetime.timedelta(minutes=16)
    ]


def test_one_address_trying_many_usernames_is_refused_for_every_username(client, owner, settings):
    settings.PORTO_LOGIN_FAILURES_PER_IP = 6
    with freeze_time(START):
        for n in range(6):
            fail(client, f"guess{n}", 1, ip="198.51.100.9")
        refused = log_in(client, "owner", PASSWORD, ip="198.51.100.9")
        assert not logged_in(client)
        assert "Too many failed attempts" in refused.content.decode()
        log_in(client, "owner", PASSWORD, ip="198.51.100.10")
    assert logged_in(client)


def test_behind_a_proxy_the_configured_header_names_the_client(client, owner, settings):
    settings.PORTO_CLIENT_IP_HEADER = "X-Real-IP"
    settings.PORTO_LOGIN_FAILURES_PER_IP = 3
    with freeze_time(START):
        for n in range(3):
            log_in(client, f"guess{n}", "x", ip="10.0.0.1", HTTP_X_REAL_IP="198.51.100.20")
        log_in(client, "owner", PASSWORD, ip="10.0.0.1", HTTP_X_REAL_IP="198.51.100.21")
    assert logged_in(client)
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"198.51.100.20"}


def test_the_admin_login_is_throttled_too(client, db):
    staff = make_user(username="staffer")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    url = reverse("admin:login")
    with freeze_time(START):
        for _ in range(5):
            client.post(url, {"username": "staffer", "password": "nope"}, REMOTE_ADDR="192.0.2.1")
        response = client.post(
            url, {"username": "staffer", "password": PASSWORD}, REMOTE_ADDR="192.0.2.1"
        )
    assert not logged_in(client)
    assert "Too many failed attempts to log in. Try again in 15 minutes." in (
        response.content.decode()
    )


def test_the_lock_is_shared_by_every_web_process_through_the_database(client, owner):
    """Another process sees the same rows: failures written directly count for the form."""
    now = timezone.now()
    LoginFailure.objects.bulk_create(
        LoginFailure(username="owner", ip="192.0.2.50", at=now) for _ in range(5)
    )
    response = log_in(client, "owner", PASSWORD, ip="192.0.2.99")
    assert not logged_in(client)
    assert "Too many failed attempts" in response.content.decode()
