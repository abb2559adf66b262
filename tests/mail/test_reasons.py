"""Refusals in plain words, with the server's code kept."""

import pytest

from porto.mail.reasons import (
    Refusal,
    failure_describe,
    reason_render,
    server_text_clean,
    smtp_code,
)


@pytest.mark.parametrize(
    ("text", "refusal", "lead", "code"),
    [
        ("smtp; 550 5.1.1 user unknown", Refusal.BOUNCE, "mailbox does not exist", "550 5.1.1"),
        ("550 No such user here", Refusal.BOUNCE, "mailbox does not exist", "550"),
        ("554 5.7.1 Message rejected as spam", Refusal.BOUNCE, "policy decision", "554 5.7.1"),
        ("552 5.2.2 Mailbox full", Refusal.BOUNCE, "mailbox is full", "552 5.2.2"),
        ("552 5.3.4 Message size exceeds fixed limit", Refusal.BOUNCE, "too large", "552 5.3.4"),
        ("550 5.1.2 Host unknown", Refusal.BOUNCE, "domain does not receive", "550 5.1.2"),
        ("Name service error: Host not found", Refusal.BOUNCE, "domain does not receive", ""),
        ("450 4.7.1 Greylisted", Refusal.DELAY, "try again later", "450 4.7.1"),
        ("421 4.7.0 Try again later, rate limited", Refusal.DELAY, "try again later", "421 4.7.0"),
        ("421 4.4.2 Connection timed out", Refusal.DELAY, "could not be reached", "421 4.4.2"),
        ("", Refusal.DELAY, "try again later", ""),
        ("", Refusal.BOUNCE, "server refused the email", ""),
        ("reached_daily_quota", Refusal.FAILURE, "provider could not send", ""),
        ("Something odd happened", Refusal.BOUNCE, "server refused the email", ""),
    ],
)
def test_leads_and_codes(text, refusal, lead, code):
    reason, found = failure_describe(text, refusal=refusal)
    assert lead in reason_render(reason)
    assert found == code


@pytest.mark.parametrize(
    ("reject_reason", "lead"),
    [
        ("bounced", "The provider refused to send it: the address is on its suppression list"),
        ("invalid", "The provider refused to send it: the address is not valid"),
        ("timed_out", "could not be reached"),
        ("other", "The provider refused to send the email"),
    ],
)
def test_provider_rejections_use_anymail_reject_reason(reject_reason, lead):
    reason, _ = failure_describe("", refusal=Refusal.REJECTION, reject_reason=reject_reason)
    assert lead in reason_render(reason)


def test_a_real_bounce_is_not_called_a_suppression_because_of_reject_reason():
    reason, _ = failure_describe("", refusal=Refusal.BOUNCE, reject_reason="bounced")
    assert "refused the email" in reason_render(reason)


def test_the_server_words_follow_the_lead_with_missing_codes_added():
    reason, code = failure_describe(
        "5.1.1 The account does not exist", refusal=Refusal.BOUNCE, basic_code=550
    )
    assert reason == {
        "code": "mailbox_missing",
        "params": {"server": "550 5.1.1 The account does not exist"},
    }
    assert reason_render(reason) == (
        "The recipient's server says the mailbox does not exist "
        "(550 5.1.1 The account does not exist)"
    )
    assert code == "550 5.1.1"


def test_structured_codes_win_over_the_text():
    assert smtp_code("blah 451 later", basic=550, enhanced="5.1.1") == "550 5.1.1"


def test_numbers_that_are_not_codes_are_ignored():
    assert smtp_code("queued as 12345 at 10.1.2.3 in 2500 ms") == ""


def test_server_text_is_one_short_line():
    cleaned = server_text_clean("smtp;  550\n 5.1.1   gone " + "x" * 500)
    assert cleaned.startswith("550 5.1.1 gone")
    assert "\n" not in cleaned and len(cleaned) == 300
