"""The sandbox inbox pages: who sees what, and how an email's HTML is kept away from the app."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from porto.accounts.models import Membership
from porto.sandbox.services import sandbox_message_receive
from tests.sandbox.helpers import PDF_BYTES, build_email

XML_BYTES = b"<?xml version='1.0' encoding='UTF-8'?>\n<Invoice>\xc3\xa9</Invoice>\n"
HTML_WITH_SCRIPT = (
    '<p>Hallo</p><img src="https://pixel.example/o/abc.gif" alt="">'
    "<script>document.title = parent.document.cookie</script>"
)


def receive(company=None, *, at=None, **email):
    return sandbox_message_receive(
        envelope_from="acme-bv@send.example",
        recipients=["boekhouding@klant.example"],
        raw=build_email(company_id=company.pk if company else None, **email),
        received_at=at,
    )


@pytest.fixture
def message(company):
    return receive(
        company,
        html=HTML_WITH_SCRIPT,
        attachments=(
            ("Factuur 2026-00042 é.pdf", "application/pdf", PDF_BYTES),
            ("Invoice-2026-00042.xml", "application/xml", XML_BYTES),
        ),
    )


def urls_of(message):
    return [
        reverse("sandbox:message", args=[message.pk]),
        reverse("sandbox:message_html", args=[message.pk]),
        reverse("sandbox:message_raw", args=[message.pk]),
        reverse("sandbox:attachment", args=[message.pk, 0]),
    ]


def policy_of(response) -> dict[str, list[str]]:
    directives = [d.split() for d in response["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def test_owner_sees_the_company_messages_newest_first(owner_client, company, other_company):
    now = timezone.now()
    older = receive(company, subject="Older", at=now - datetime.timedelta(hours=1))
    newer = receive(company, subject="Newer", at=now)
    receive(other_company, subject="Not yours")
    receive(None, subject="Nobody's")

    response = owner_client.get(reverse("sandbox:inbox"))

    assert response.status_code == 200
    assert list(response.context["page"]) == [newer, older]
    assert "Test inbox." in response.content.decode()
    assert "Not yours" not in response.content.decode()
    assert "Nobody&#x27;s" not in response.content.decode()


def test_inbox_pages_hold_fifty_messages(owner_client, company):
    start = timezone.now()
    messages = [receive(company, at=start + datetime.timedelta(seconds=i)) for i in range(51)]

    first = owner_client.get(reverse("sandbox:inbox"))
    second = owner_client.get(reverse("sandbox:inbox"), {"page": 2})

    assert list(first.context["page"]) == messages[:0:-1]
    assert list(second.context["page"]) == [messages[0]]


def test_teammate_opens_the_message(client, teammate, message):
    client.force_login(teammate)

    for url in urls_of(message):
        assert client.get(url).status_code == 200


def test_outsider_sees_none_of_it(outsider_client, message):
    response = outsider_client.get(reverse("sandbox:inbox"))
    assert list(response.context["page"]) == []

    for url in urls_of(message):
        assert outsider_client.get(url).status_code == 404


def test_unmatched_messages_are_shown_to_nobody(owner_client, company):
    message = receive(None)

    for url in urls_of(message):
        assert owner_client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client, message):
    for url in [reverse("sandbox:inbox"), *urls_of(message)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_opening_a_message_shows_headers_text_html_frame_and_attachments(owner_client, message):
    response = owner_client.get(reverse("sandbox:message", args=[message.pk]))

    page = response.content.decode()
    assert "Factuur 2026-00042" in page
    assert "Hierbij uw factuur." in page
    assert "X-Porto-Company" in page
    assert "Factuur 2026-00042 é.pdf" in page
    assert reverse("sandbox:attachment", args=[message.pk, 1]) in page
    (iframe,) = re.findall(r"<iframe[^>]*>", page)
    assert f'src="{reverse("sandbox:message_html", args=[message.pk])}"' in iframe
    (sandbox,) = re.findall(r'sandbox="([^"]*)"', iframe)
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    assert "<script>" not in page


def test_the_html_is_served_alone_with_a_policy_that_forbids_scripts(owner_client, message):
    response = owner_client.get(reverse("sandbox:message_html", args=[message.pk]))

    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert HTML_WITH_SCRIPT in response.content.decode()
    policy = policy_of(response)
    assert "sandbox" in policy
    assert not {"allow-scripts", "allow-same-origin", "allow-forms"} & set(policy["sandbox"])
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["form-action"] == ["'none'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_images_of_the_email_load_as_in_a_mail_client(owner_client, message):
    response = owner_client.get(reverse("sandbox:message_html", args=[message.pk]))

    assert policy_of(response)["img-src"] == ["http:", "https:", "data:"]
    assert 'src="https://pixel.example/o/abc.gif"' in response.content.decode()


def test_attachment_download_has_exact_bytes_name_and_type(owner_client, message):
    pdf = owner_client.get(reverse("sandbox:attachment", args=[message.pk, 0]))
    xml = owner_client.get(reverse("sandbox:attachment", args=[message.pk, 1]))

    assert pdf.content == PDF_BYTES
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        "attachment; filename*=utf-8''Factuur%202026-00042%20%C3%A9.pdf"
    )
    assert xml.content == XML_BYTES
    assert xml["Content-Type"] == "application/xml"
    assert xml["Content-Disposition"] == 'attachment; filename="Invoice-2026-00042.xml"'
    assert policy_of(xml)["sandbox"] == []


def test_a_missing_attachment_is_404(owner_client, message):
    response = owner_client.get(reverse("sandbox:attachment", args=[message.pk, 2]))

    assert response.status_code == 404


def test_the_original_message_downloads_byte_for_byte(owner_client, message):
    response = owner_client.get(reverse("sandbox:message_raw", args=[message.pk]))

    assert response.content == bytes(message.raw)
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="message-{message.pk}.eml"'


def test_a_strange_attachment_type_is_downloaded_as_bytes(owner_client, company):
    raw = (
        b"X-Porto-Company: %d\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
        b"Content-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
        b'Content-Type: text/html"x; name="a.html"\r\n'
        b'Content-Disposition: attachment; filename="a.html"\r\n\r\n<script>1</script>\r\n'
        b"--b--\r\n"
    ) % company.pk
    message = sandbox_message_receive(envelope_from="", recipients=["x@k.example"], raw=raw)

    response = owner_client.get(reverse("sandbox:attachment", args=[message.pk, 0]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="a.html"'


def test_inbox_is_404_when_the_sandbox_is_not_the_mail_transport(owner_client, message, settings):
    settings.PORTO_SANDBOX_ENABLED = False

    for url in [reverse("sandbox:inbox"), *urls_of(message)]:
        assert owner_client.get(url).status_code == 404


def test_a_member_of_two_companies_sees_the_inbox_of_the_one_they_act_for(
    owner_client, owner, company, other_company
):
    Membership.objects.create(user=owner, company=other_company)
    ours = receive(company, subject="Ours")
    theirs = receive(other_company, subject="Theirs")

    before = owner_client.get(reverse("sandbox:inbox"))
    owner_client.post(reverse("company_switch"), {"company": other_company.pk})
    after = owner_client.get(reverse("sandbox:inbox"))

    assert list(before.context["page"]) == [ours]
    assert list(after.context["page"]) == [theirs]
    assert owner_client.get(reverse("sandbox:message", args=[ours.pk])).status_code == 404
