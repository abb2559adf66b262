"""The limits' table: one source for the checks and the browser, sizes printed alike."""

from django.utils import translation

from porto.mail import checks
from porto.mail.send.limits import MAX_ATTACHMENT_BYTES, browser_limits, human_size, size_limit


def test_a_half_rounds_up_as_the_browser_rounds_it():
    assert human_size(1_179_648) == "1.13 MB"  # exactly 1.125 MB; JavaScript's toFixed says 1.13
    assert human_size(512) == "1 KB"  # Math.round(0.5) is 1
    assert human_size(MAX_ATTACHMENT_BYTES + 1) == "5.00 MB"


def test_the_browser_gets_the_checks_own_numbers():
    limits = browser_limits()
    assert limits["max_attachments"] == checks.MAX_ATTACHMENTS == 10
    assert limits["max_attachment_bytes"] == checks.MAX_ATTACHMENT_BYTES == 5 * 1024 * 1024
    assert limits["max_total_size"] == size_limit(checks.MAX_TOTAL_BYTES) == "25 MB"
    assert ".exe" in limits["blocked_extensions"]


def test_the_browser_gets_the_messages_in_the_current_language():
    with translation.override("fr"):
        limits = browser_limits()
    assert limits["messages"]["no_subject"] == "Donnez un objet à l'e-mail."
    assert "%(count)d" in limits["messages"]["too_many_attachments"]
