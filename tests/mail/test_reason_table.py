"""Provider payload shapes -> the right reason (porto/mail/reasons.py).

Each body is shaped like the provider's documented webhook, read by anymail's own parsing
code: the sub-types and texts below are the providers' own words. Who refused matters: the
provider's own refusals (its suppression list, content it will not carry) never read as the
recipient's server refusing.
"""

import json
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import translation

from porto.mail import reasons
from porto.mail.feedback.classify import webhook_events_classify
from porto.mail.reasons import Refusal, failure_describe, reason_render

PAYLOADS = Path(__file__).parent / "payloads"
RESEND_HEADERS = {"svix-id": "msg_2Lh9KRb0pzN4LePd3XiA4v", "svix-timestamp": "1772442005"}

# Amazon SES's and Resend's documented bounce messages, word for word.
HARD_BOUNCE_GENERAL = (
    "The recipient's email provider sent a hard bounce message, but didn't specify the reason "
    "for the hard bounce. When you receive this type of bounce notification, you should "
    "immediately remove the recipient's email address from your mailing list. Sending messages "
    "to addresses that produce hard bounces can have a negative impact on your reputation as a "
    "sender. If you continue sending email to addresses that produce hard bounces, we might "
    "pause your ability to send additional email."
)
RESEND_ON_ACCOUNT_SUPPRESSION = (
    'Resend has suppressed sending to this address because it has previously "hard bounced."'
)
SES_SUPPRESSED = (
    "Amazon SES has suppressed sending to this address because it has a recent history of "
    "bouncing as an invalid address. For more information about how to remove an address from "
    "the suppression list, see the Amazon SES Developer Guide: "
    "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/remove-from-suppressionlist.html"
)
SES_ON_ACCOUNT_SUPPRESSION = (
    "Amazon SES did not send the message to this address because it is on the suppression list "
    "for your account. For more information about removing addresses from the suppression "
    "list, see the Amazon SES Developer Guide at "
    "https://docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html"
)


def payload(provider: str, name: str) -> dict:
    return json.loads((PAYLOADS / provider / f"{name}.json").read_text())


def classified(provider: str, body: dict | list):
    headers = RESEND_HEADERS if provider == "resend" else {}
    request = RequestFactory().post(
        f"/webhooks/{provider}/",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
    return webhook_events_classify(provider, request)


def only_reason(provider: str, body: dict) -> dict:
    (item,) = classified(provider, body)
    return item.event.reason


def ses_notification(event: dict) -> dict:
    """An SNS notification carrying one SES event, as the bounce payload wraps it."""
    body = payload("amazon_ses", "bounce_permanent")
    body["Message"] = json.dumps(event)
    return body


def ses_event(**fields) -> dict:
    event = json.loads(payload("amazon_ses", "bounce_permanent")["Message"])
    event.pop("bounce")
    return event | fields


def ses_bounce(sub_type: str, diagnostic: str | None) -> dict:
    recipient = {"emailAddress": "niemand@klant.example", "action": "failed", "status": "5.0.0"}
    if diagnostic is not None:
        recipient["diagnosticCode"] = diagnostic
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": sub_type,
        "bouncedRecipients": [recipient],
        "timestamp": "2026-03-02T09:00:05.000Z",
        "feedbackId": "0102018e0a1b2c3d-bbbb-cccc",
    }
    return ses_notification(ses_event(eventType="Bounce", bounce=bounce))


def resend_bounce(message: str, sub_type: str = "General") -> dict:
    body = payload("resend", "email_bounced_permanent")
    body["data"]["bounce"] = {"message": message, "subType": sub_type, "type": "Permanent"}
    return body


class TestAmazonSes:
    def test_reject_for_bad_content_is_the_provider_finding_a_virus_not_a_suppression(self):
        body = ses_notification(ses_event(eventType="Reject", reject={"reason": "Bad content"}))
        items = classified("amazon_ses", body)  # one per destination
        assert len(items) == 2
        for item in items:
            assert item.event.reason["code"] == reasons.BAD_CONTENT
            assert "suppression" not in reason_render(item.event.reason)

    @pytest.mark.parametrize(
        ("sub_type", "diagnostic"),
        [
            ("Suppressed", SES_SUPPRESSED),
            ("OnAccountSuppressionList", SES_ON_ACCOUNT_SUPPRESSION),
            ("OnAccountSuppressionList", None),
        ],
    )
    def test_a_suppression_bounce_is_the_provider_refusing(self, sub_type, diagnostic):
        reason = only_reason("amazon_ses", ses_bounce(sub_type, diagnostic))
        assert reason["code"] == reasons.SUPPRESSED
        assert "recipient's server" not in reason_render(reason)

    def test_a_general_bounce_without_a_reason_is_a_hard_bounce_not_a_policy_decision(self):
        reason = only_reason("amazon_ses", ses_bounce("General", None))
        assert reason["code"] == reasons.REFUSED

    def test_a_user_unknown_diagnostic_is_a_missing_mailbox(self):
        reason = only_reason("amazon_ses", ses_bounce("General", "smtp; 550 5.1.1 user unknown"))
        assert reason["code"] == reasons.MAILBOX_MISSING


class TestResend:
    def test_a_general_hard_bounce_is_not_a_policy_decision(self):
        reason = only_reason("resend", resend_bounce(HARD_BOUNCE_GENERAL))
        assert reason["code"] == reasons.HARD_BOUNCE
        assert "policy" not in reason_render(reason).split("(")[0]

    def test_a_550_5_1_1_next_to_the_reputation_advice_is_a_missing_mailbox(self):
        text = f"550 5.1.1 The email account that you tried to reach does not exist. {HARD_BOUNCE_GENERAL}"
        reason = only_reason("resend", resend_bounce(text))
        assert reason["code"] == reasons.MAILBOX_MISSING

    def test_its_own_suppression_is_the_provider_refusing(self):
        body = resend_bounce(RESEND_ON_ACCOUNT_SUPPRESSION, "OnAccountSuppressionList")
        assert only_reason("resend", body)["code"] == reasons.SUPPRESSED

    def test_a_full_inbox(self):
        text = (
            "The recipient's email provider sent a bounce message because the recipient's "
            "inbox was full. You might be able to send to the same recipient in the future "
            "when the mailbox is no longer full."
        )
        assert only_reason("resend", resend_bounce(text))["code"] == reasons.MAILBOX_FULL


class TestSendGridMailgunMailjet:
    def test_a_dropped_bounced_address_is_the_provider_refusing(self):
        items = classified("sendgrid", payload("sendgrid", "bounces"))
        (dropped,) = [i for i in items if i.event.type == "rejected"]
        assert dropped.event.reason["code"] == reasons.SUPPRESSED

    def test_mailgun_not_delivering_to_a_previously_bounced_address(self):
        body = payload("mailgun", "failed_permanent")
        data = body["event-data"]
        data["reason"] = "suppress-bounce"
        data["delivery-status"] = {
            "attempt-no": 1,
            "code": 605,
            "description": "Not delivering to previously bounced address",
            "message": "",
            "session-seconds": 0.0,
        }
        reason = only_reason("mailgun", body)
        assert reason["code"] == reasons.SUPPRESSED
        assert "recipient's server" not in reason_render(reason)

    def test_mailjet_preblocked_is_the_provider_refusing(self):
        bounce = next(e for e in payload("mailjet", "events") if e["event"] == "bounce")
        blocked = {k: v for k, v in bounce.items() if k not in ("blocked", "hard_bounce")}
        blocked.update(event="blocked", error="preblocked", comment="")
        (item,) = classified("mailjet", [blocked])
        assert item.event.type == "rejected"
        assert item.event.reason["code"] == reasons.SUPPRESSED


@pytest.mark.parametrize(
    ("reject_reason", "lead"),
    [
        ("blocked", reasons.PROVIDER_REFUSED),
        ("bounced", reasons.SUPPRESSED),
        ("invalid", reasons.INVALID_ADDRESS),
        (None, reasons.PROVIDER_REFUSED),
    ],
)
def test_a_provider_rejection_never_names_the_recipients_server(reject_reason, lead):
    reason, _ = failure_describe(
        "550 5.1.1 user unknown", refusal=Refusal.REJECTION, reject_reason=reject_reason
    )
    assert reason["code"] == lead


@pytest.mark.parametrize(
    ("detail", "lead"),
    [
        (
            "Recipient (niemand@klant.example) is on the suppression list (reason: too many hard fails)",
            reasons.HELD,
        ),
        ("Credential is configured to hold all messages authenticated by it.", reasons.HELD_OTHER),
    ],
)
def test_a_postal_hold_names_the_suppression_list_only_when_postal_does(detail, lead):
    assert reasons.held_reason(detail) == {"code": lead, "params": {"server": detail}}


def test_a_refusal_is_stored_as_a_code_and_shown_in_dutch_and_french(settings):
    stored, _ = failure_describe("smtp; 550 5.1.1 user unknown", refusal=Refusal.BOUNCE)
    assert stored["code"] == reasons.MAILBOX_MISSING
    with translation.override("nl"):
        assert reason_render(stored) == (
            "De server van de ontvanger meldt dat de mailbox niet bestaat (550 5.1.1 user unknown)"
        )
    with translation.override("fr"):
        assert reason_render(stored).startswith("Le serveur du destinataire indique")


def test_a_free_form_reason_is_shown_as_stored():
    assert reason_render("Gave up after 8 attempts: no answer") == (
        "Gave up after 8 attempts: no answer"
    )
