"""The sandbox mail server as a path of hostile input: every catalogue entry on ``sandbox`` is
handed to the real server (aiosmtpd, in this process) over real SMTP, then the inbox pages
are opened as the company's owner: the list, the message, its HTML, each attachment and the
original. Refused: the server's SMTP reply carries the words, and nothing is stored. Otherwise
the message is stored byte for byte, every page answers 200, the server logs no error, and
the entry's check holds:

- ``escaped``: the text the entry ``shows`` is on the list and the message page as text
  (HTML-escaped), never as markup;
- ``sandboxed``: the HTML body never reaches the app's page, and is served alone under a
  ``sandbox`` policy without scripts, inside a frame that allows neither scripts nor the app's
  origin;
- ``no header added``: a line break hidden in a header adds no header to the message shown;
- ``plain names``: attachments are listed and downloaded under their own name, without
  folders or invisible characters;
- ``stored as received``: malformed MIME is kept as it came and shown as far as it reads;
- ``NUL shown as U+FFFD``: NUL bytes are stored (also on PostgreSQL, which keeps no NUL in
  text) and shown as U+FFFD; the original keeps them."""

import html
import logging
import re
import smtplib
from urllib.parse import quote

import pytest
from django.urls import reverse

from porto.sandbox.models import SandboxMessage
from porto.sandbox.services import sandbox_message_receive
from porto.sandbox.smtp_server import SandboxServer
from porto.sandbox.views import IFRAME_SANDBOX
from tests.hostile.catalogue import (
    SANDBOX_TEST_LIMIT,
    Mail,
    Neutralised,
    Refused,
    cases,
)

SENDER = "billing@acme.example"
RECIPIENT = "boekhouding@klant.example"
LISTED = {"subject", "from", "header bytes"}  # what the inbox list shows of a message


@pytest.fixture
def sandbox_server(transactional_db):
    with SandboxServer(
        "127.0.0.1", 0, max_message_bytes=SANDBOX_TEST_LIMIT, defer_attempts=2
    ) as server:
        yield server


def handed_over(server: SandboxServer, raw: bytes, *, announce_size: bool = True) -> None:
    """``raw`` sent as a client does: SIZE announced when the server offers it (smtplib's
    ``sendmail``), or MAIL, RCPT and DATA one by one without it."""
    with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
        if announce_size:
            smtp.sendmail(SENDER, [RECIPIENT], raw)
            return
        smtp.ehlo()
        smtp.mail(SENDER)
        smtp.rcpt(RECIPIENT)
        code, reply = smtp.data(raw)
        if code >= 400:
            raise smtplib.SMTPDataError(code, reply)


def refusal_of(server: SandboxServer, raw: bytes, field: str) -> str:
    with pytest.raises(smtplib.SMTPResponseException) as caught:
        handed_over(server, raw, announce_size=field != "size unannounced")
    return f"{caught.value.smtp_code} {caught.value.smtp_error.decode()}"


def pages_of(http, message: SandboxMessage) -> dict[str, object]:
    """Every inbox page showing ``message``, each answered without an error."""
    view_page = http.get(reverse("sandbox:message", args=[message.pk]))
    assert view_page.status_code == 200
    view = view_page.context["view"]
    pages = {
        "inbox": http.get(reverse("sandbox:inbox")),
        "message": view_page,
        "html": http.get(reverse("sandbox:message_html", args=[message.pk])),
        "raw": http.get(reverse("sandbox:message_raw", args=[message.pk])),
    }
    for attachment in view.attachments:
        url = reverse("sandbox:attachment", args=[message.pk, attachment.index])
        pages[f"attachment {attachment.index}"] = http.get(url)
    for name, page in pages.items():
        assert page.status_code == 200, name
    pages["view"] = view
    return pages


def text_of(response) -> str:
    return response.content.decode()


def assert_escaped(pages: dict, mail: Mail, field: str) -> None:
    """``mail.shows`` on the message page (and the inbox list, for the headers it lists) as
    text: escaped, never as markup."""
    assert mail.shows
    for name in ("inbox", "message") if field in LISTED else ("message",):
        page = text_of(pages[name])
        assert html.escape(mail.shows) in page, name
        if html.escape(mail.shows) != mail.shows:
            assert mail.shows not in page, name


def assert_sandboxed(pages: dict, raw: bytes) -> None:
    body = raw.decode().split("Content-Type: text/html; charset=utf-8\r\n\r\n", 1)[1]
    markup = body.split("\r\n--b--", 1)[0]
    assert markup not in text_of(pages["message"])
    assert html.escape(markup) not in text_of(pages["message"])  # only the frame shows it
    (frame,) = re.findall(r"<iframe[^>]*>", text_of(pages["message"]))
    assert f'sandbox="{IFRAME_SANDBOX}"' in frame
    assert not {"allow-scripts", "allow-same-origin", "allow-forms"} & set(IFRAME_SANDBOX.split())
    directives = [d.split() for d in pages["html"]["Content-Security-Policy"].split(";")]
    policy = {d[0]: " ".join(d[1:]) for d in directives if d}
    assert policy["sandbox"] == IFRAME_SANDBOX
    assert policy["default-src"] == "'none'"
    assert policy["form-action"] == "'none'"
    assert "script-src" not in policy


def assert_plain_names(pages: dict, mail: Mail) -> None:
    """Each attachment listed and downloaded under the name a mail client shows, without
    folders or invisible characters."""
    attachments = pages["view"].attachments
    assert tuple(a.filename for a in attachments) == mail.attachment_names
    for attachment in attachments:
        disposition = pages[f"attachment {attachment.index}"]["Content-Disposition"]
        assert disposition in (
            f'attachment; filename="{attachment.filename}"',
            f"attachment; filename*=utf-8''{quote(attachment.filename)}",
        )


@pytest.mark.parametrize(("entry", "use"), cases("sandbox"))
def test_the_sandbox_refuses_at_smtp_or_stores_and_shows_each_entry_harmlessly(
    sandbox_server, owner_client, company, caplog, entry, use
):
    mail = entry.built()
    raw = b"X-Porto-Company: %d\r\n" % company.pk + mail.built()
    if isinstance(use.outcome, Refused):
        assert refusal_of(sandbox_server, raw, use.field) == use.outcome.fragment
        assert not SandboxMessage.objects.exists()
        return
    with caplog.at_level(logging.INFO):
        handed_over(sandbox_server, raw)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    message = SandboxMessage.objects.get()
    assert bytes(message.raw) == raw
    assert message.company == company
    pages = pages_of(owner_client, message)
    assert pages["raw"].content == raw
    check = use.outcome.check
    assert isinstance(use.outcome, Neutralised)
    if check == "escaped":
        assert_escaped(pages, mail, use.field)
    elif check == "sandboxed":
        assert_sandboxed(pages, raw)
    elif check == "no header added":
        assert "bcc" not in [name.lower() for name, _value in pages["view"].headers]
        assert "Bcc: all@evil.example" in message.subject.replace("\r\n", "").replace("\t", "")
    elif check == "plain names":
        assert_plain_names(pages, mail)
    elif check == "stored as received":  # and shown: the list and the page agree
        assert message.attachment_count == len(pages["view"].attachments)
        assert text_of(pages["message"]).count("<h1>") == 1
    else:
        assert check == "NUL shown as U+FFFD"
        assert message.subject == mail.shows
        assert message.from_header == "Acme\ufffdBV <billing@acme.example>"
        assert b"\x00" in bytes(message.raw)
        assert_escaped(pages, mail, use.field)


def test_an_outsider_opens_none_of_a_hostile_message(sandbox_server, outsider_client, company):
    raw = b"X-Porto-Company: %d\r\nSubject: <script>alert(1)</script>\r\n\r\nhi\r\n" % company.pk
    handed_over(sandbox_server, raw)
    message = SandboxMessage.objects.get()
    for name in ("sandbox:message", "sandbox:message_html", "sandbox:message_raw"):
        assert outsider_client.get(reverse(name, args=[message.pk])).status_code == 404
    assert list(outsider_client.get(reverse("sandbox:inbox")).context["page"]) == []


SANDBOXED = [
    case for case in cases("sandbox") if case.values[1].outcome == Neutralised("sandboxed")
]


@pytest.mark.parametrize(("entry", "use"), SANDBOXED)
def test_no_script_of_an_html_body_runs_in_a_real_browser_even_when_its_link_is_clicked(
    page, live_server, client, owner, company, entry, use
):
    raw = b"X-Porto-Company: %d\r\n" % company.pk + entry.built().built()
    message = sandbox_message_receive(envelope_from=SENDER, recipients=[RECIPIENT], raw=raw)
    client.force_login(owner)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    opened = live_server.url + reverse("sandbox:message", args=[message.pk])

    page.goto(opened)
    frame = page.frame_locator("iframe")
    frame.locator("body").wait_for()
    if frame.locator("a").count():
        frame.locator("a").first.click()
    page.wait_for_load_state("networkidle")

    assert frame.locator("body").get_attribute("data-ran") is None  # RAN in the catalogue
    assert page.locator("body").get_attribute("data-ran") is None
    assert page.url == opened
