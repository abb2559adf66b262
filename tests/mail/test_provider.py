"""The provider transport through django-anymail, against a local HTTP server that answers
like Postmark's /email API (the one part faked: the provider's HTTP API)."""

import base64
import datetime

from porto.mail.delivery import email_deliver
from porto.mail.models import OutgoingEmail
from porto.mail.reasons import reason_render
from porto.mail.requests import NewAttachment, SendRequest, email_send
from tests.mail.conftest import ok_from_postmark as ok
from tests.mail.conftest import small_pdf


def test_the_provider_gets_the_message_and_its_ids_are_kept(postmark, invoice):
    extra = small_pdf("terms")
    email = email_send(
        SendRequest(
            document=invoice,
            to=["Jean Dupré <compta@cafe-elysee.example>"],
            cc=["boss@cafe-elysee.example"],
            attachments=[NewAttachment("terms.pdf", extra)],
        )
    )
    assert email.transport == "provider"
    postmark.replies.append(
        ok("Jean Dupré <compta@cafe-elysee.example>", "b7bc2f4a-e38e-4336-af7d-e6c392c2f817")
    )
    assert email_deliver(email.pk) == "sent"

    [call] = postmark.calls
    body = call.json()
    assert call.path == "/email"
    assert call.headers["X-Postmark-Server-Token"] == "server-token"
    assert body["From"] == "Acme BV <acme-bv@send.porto.example>"
    assert body["ReplyTo"] == "office@acme.example"
    assert body["Cc"] == "boss@cafe-elysee.example"
    assert "Bcc" not in body  # the named To address is not sent a second, blind copy
    assert body["Subject"] == email.subject
    assert body["TextBody"] == email.body_text + "\n"
    assert "<p>" in body["HtmlBody"]
    assert {"Name": "Message-ID", "Value": f"<{email.message_id}>"} in body["Headers"]
    recipient_ids = ",".join(str(pk) for pk in email.recipients.values_list("pk", flat=True))
    assert body["Metadata"] == {
        "porto_email": email.public_id.hex,
        "porto_recipients": recipient_ids,
    }
    stored = {a.filename: bytes(a.blob.content) for a in email.attachments.all()}
    assert {a["Name"]: base64.b64decode(a["Content"]) for a in body["Attachments"]} == stored
    assert stored["terms.pdf"] == extra

    ids = set(email.recipients.values_list("provider_message_id", flat=True))
    assert ids == {"b7bc2f4a-e38e-4336-af7d-e6c392c2f817"}
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_an_inactive_recipient_is_refused_the_others_accepted(postmark, invoice):
    email = email_send(
        SendRequest(document=invoice, to=["compta@cafe-elysee.example", "gone@cafe-elysee.example"])
    )
    postmark.replies.append(
        ok(
            "compta@cafe-elysee.example, gone@cafe-elysee.example",
            "0a129aee-e1cd-480d-b08d-4f48548ff48d",
            "Message OK, but will not deliver to these inactive addresses: "
            "gone@cafe-elysee.example. Inactive recipients are ones that have generated a hard "
            "bounce or a spam complaint.",
        )
    )
    assert email_deliver(email.pk) == "sent"
    outcomes = {
        r.address: (r.accepted_at is not None, r.failure_code) for r in email.recipients.all()
    }
    assert outcomes == {
        "compta@cafe-elysee.example": (True, ""),
        "gone@cafe-elysee.example": (False, "rejected"),
    }


def test_a_provider_outage_waits_and_then_sends(postmark, invoice):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    postmark.replies.append((503, {"ErrorCode": 100, "Message": "Maintenance"}))
    assert email_deliver(email.pk) == "waiting"
    email.refresh_from_db()
    assert "not reachable or busy" in email.attempts_log.get().detail
    postmark.replies.append(ok("compta@cafe-elysee.example", "id-2"))
    assert email_deliver(email.pk, now=email.next_attempt_at + datetime.timedelta(seconds=1)) == (
        "sent"
    )


def test_a_refused_request_fails_with_the_providers_reason(postmark, invoice):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    postmark.replies.append(
        (
            422,
            {"ErrorCode": 300, "Message": "Invalid 'From' address: 'acme-bv@send.porto.example'."},
        )
    )
    assert email_deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert email.state == OutgoingEmail.State.FAILED
    [recipient] = email.recipients.all()
    assert reason_render(recipient.failure_reason).startswith(
        "The email provider refused the email (HTTP 422)"
    )
    assert "Invalid 'From' address" in reason_render(recipient.failure_reason)


def test_a_wrong_api_key_pauses_the_email_instead_of_failing_it(postmark, invoice):
    email = email_send(SendRequest(document=invoice, to=["compta@cafe-elysee.example"]))
    postmark.replies.append((401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."}))
    assert email_deliver(email.pk) == "waiting"
    email.refresh_from_db()
    assert (email.state, email.held) == (OutgoingEmail.State.QUEUED, OutgoingEmail.Held.PAUSED)
    assert "Postmark refused Porto's credentials (HTTP 401)" in email.attempts_log.get().detail
