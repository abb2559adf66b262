"""Provider webhook events -> Porto events, through anymail's real parsing code.

Every payload under payloads/<provider>/ is shaped like the provider's documented webhook
body; anymail's tracking view parses it (``parse_events``) and the provider module reads
what anymail leaves in ``esp_event``.
"""

import datetime as dt
import json
from pathlib import Path

import pytest
from anymail.signals import AnymailTrackingEvent
from django.test import RequestFactory

from porto.mail.feedback.classify import (
    PROVIDERS,
    ClassificationError,
    classify,
    request_rebuild,
    tracking_events_parse,
    webhook_events_classify,
)
from porto.mail.reasons import reason_render
from porto.mail.status import EventType, Status, facts_from, shown_status

PAYLOADS = Path(__file__).parent / "payloads"
SVIX_ID = "msg_2Lh9KRb0pzN4LePd3XiA4v"


def payload(provider: str, name: str) -> bytes:
    return (PAYLOADS / provider / f"{name}.json").read_bytes()


def post(provider: str, body: bytes | str, headers: dict | None = None):
    if provider == "resend" and headers is None:
        headers = {"svix-id": SVIX_ID, "svix-timestamp": "1772442005", "svix-signature": "v1,x"}
    return RequestFactory().post(
        f"/webhooks/{provider}/", data=body, content_type="application/json", headers=headers or {}
    )


def events(provider: str, name: str, **kwargs):
    return webhook_events_classify(provider, post(provider, payload(provider, name), **kwargs))


def one(provider: str, name: str, **kwargs):
    (item,) = events(provider, name, **kwargs)
    return item


def anymail_types(provider: str, name: str) -> list[str]:
    parsed = tracking_events_parse(provider, post(provider, payload(provider, name)))
    return [event.event_type for event in parsed]


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


MAILBOX_MISSING = "The recipient's server says the mailbox does not exist"
MAILBOX_FULL = "The recipient's mailbox is full"
TRY_LATER = "The recipient's server asked to try again later"


class TestPostmark:
    MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"

    def test_delivery_has_no_event_id_so_the_key_is_a_hash(self):
        item = one("postmark", "delivery")
        assert item.event.type == EventType.DELIVERED
        assert item.event.at == utc(2026, 3, 2, 9, 0, 4, 907025)
        assert (item.message_id, item.recipient) == (self.MESSAGE_ID, "boekhouding@klant.example")
        assert item.dedupe_key.startswith("postmark:sha256:")
        assert item.source == "postmark"

    def test_hard_bounce_fails_with_the_reason_in_plain_words(self):
        item = one("postmark", "bounce_hard")
        assert item.event.type == EventType.BOUNCED and item.event.permanent
        assert reason_render(item.event.reason).startswith(
            MAILBOX_MISSING + " (550 5.1.1 The email account"
        )
        assert item.event.code == "550 5.1.1"
        assert item.dedupe_key == "postmark:4323372036854775807:niemand@klant.example"
        # record_event(source=..., provider_event_id=...) prefixes the source itself.
        assert item.provider_event_id == "4323372036854775807:niemand@klant.example"

    def test_soft_bounce_is_temporary_although_anymail_says_bounced(self):
        assert anymail_types("postmark", "bounce_soft") == ["bounced"]
        item = one("postmark", "bounce_soft")
        assert item.event.type == EventType.BOUNCED and not item.event.permanent
        assert reason_render(item.event.reason).startswith(MAILBOX_FULL)

    def test_a_mail_client_open_is_human(self):
        item = one("postmark", "open")
        assert item.event.type == EventType.OPENED and not item.event.machine

    def test_an_apple_proxy_open_is_automatic(self):
        item = one("postmark", "open_apple_proxy")
        assert item.event.machine
        assert "Apple Mail Privacy Protection" in item.event.reason

    def test_spam_complaint(self):
        item = one("postmark", "spam_complaint")
        assert item.event.type == EventType.COMPLAINED
        assert reason_render(item.event.reason) == "The recipient marked the email as spam"

    def test_a_suppression_change_says_nothing_about_this_email(self):
        assert anymail_types("postmark", "subscription_change") == ["unsubscribed"]
        assert events("postmark", "subscription_change") == []


class TestMailgun:
    MESSAGE_ID = (
        "20260302090000.1.5F2E8B8C1A3D4E5F@send.example"  # anymail adds <>, Porto strips them
    )

    def test_delivered_uses_the_signature_token_as_event_id(self):
        item = one("mailgun", "delivered")
        assert item.event.type == EventType.DELIVERED
        assert item.message_id == self.MESSAGE_ID
        assert item.dedupe_key == (
            "mailgun:651869375b9df3c98fc15c4889b102119add1235c38fc92824:boekhouding@klant.example"
        )

    def test_permanent_failure_takes_the_structured_code(self):
        item = one("mailgun", "failed_permanent")
        assert item.event.type == EventType.BOUNCED and item.event.permanent
        assert item.event.code == "550 5.1.1"
        assert reason_render(item.event.reason).startswith(
            MAILBOX_MISSING + " (550 5.1.1 The email account"
        )

    def test_temporary_failure_is_a_deferral(self):
        item = one("mailgun", "failed_temporary")
        assert item.event.type == EventType.DEFERRED
        assert reason_render(item.event.reason).startswith(TRY_LATER + " (451 4.7.1 Greylisting")

    def test_the_bot_flag_makes_an_open_automatic(self):
        item = one("mailgun", "opened_apple_bot")
        assert item.event.machine
        assert item.event.reason == "opened automatically by Apple Mail Privacy Protection"

    def test_an_empty_bot_flag_and_a_phone_is_human(self):
        assert not one("mailgun", "opened_human").event.machine

    @pytest.mark.parametrize(
        ("bot", "who"), [("gmail", "Gmail"), ("generic", "scanner"), ("new-kind", "scanner")]
    )
    def test_every_bot_value_is_automatic(self, bot, who):
        body = json.loads(payload("mailgun", "opened_human"))
        body["event-data"]["client-info"]["bot"] = bot
        (item,) = webhook_events_classify("mailgun", post("mailgun", json.dumps(body)))
        assert item.event.machine and who in item.event.reason

    def test_legacy_form_posts_are_read_too(self):
        form = {
            "event": "opened",
            "recipient": "boekhouding@klant.example",
            "timestamp": "1772445600",
            "token": "f" * 50,
            "signature": "0" * 64,
            "message-id": "20260302090000.1.5F2E8B8C1A3D4E5F@send.example",
            "ip": "66.249.84.10",
            "user-agent": "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        }
        request = RequestFactory().post("/webhooks/mailgun/", data=form)
        (item,) = webhook_events_classify("mailgun", request)
        assert item.message_id == self.MESSAGE_ID
        # Gmail's proxy fetches when the person opens the message: a person's open.
        assert not item.event.machine and "Gmail" in item.event.reason
        assert item.payload["event"] == ["opened"]  # form fields keep all their values


class TestSendGrid:
    def test_a_batch_in_order(self):
        items = events("sendgrid", "events")
        assert [(i.event.type, i.event.machine) for i in items] == [
            (EventType.QUEUED, False),
            (EventType.DEFERRED, False),
            (EventType.DELIVERED, False),
            (EventType.OPENED, True),
            (EventType.OPENED, False),
        ]
        assert "SendGrid" in items[3].event.reason
        assert items[0].message_id == "5e7a5e4c-5a6e-4f4c-9c1f-7b2f5f1d2a10"  # anymail_id
        assert items[0].dedupe_key == "sendgrid:cHJvY2Vzc2VkLTEyMw:boekhouding@klant.example"

    def test_deferral_reason(self):
        deferred = events("sendgrid", "events")[1].event
        assert (
            reason_render(deferred.reason)
            == f"{MAILBOX_FULL} (400 4.2.2 Mailbox full, try again later)"
        )

    def test_bounce_is_hard_blocked_is_temporary_dropped_is_a_rejection(self):
        hard, blocked, dropped = events("sendgrid", "bounces")
        assert hard.event.type == EventType.BOUNCED and hard.event.permanent
        assert hard.event.code == "550 5.1.1"
        assert blocked.event.type == EventType.BOUNCED and not blocked.event.permanent
        assert "policy decision" in reason_render(blocked.event.reason)
        assert dropped.event.type == EventType.REJECTED and dropped.event.permanent
        assert reason_render(dropped.event.reason).startswith("The provider refused to send it")

    def test_a_machine_open_flag_sent_as_a_string_counts(self):
        body = json.loads(payload("sendgrid", "events"))
        body[4]["sg_machine_open"] = "true"
        items = webhook_events_classify("sendgrid", post("sendgrid", json.dumps(body)))
        assert items[4].event.machine


class TestAmazonSes:
    MESSAGE_ID = "0102018e0a1b2c3d-11111111-2222-3333-4444-555555555555-000000"

    def test_permanent_bounce_names_only_the_bounced_recipient(self):
        item = one("amazon_ses", "bounce_permanent")
        assert item.recipient == "niemand@klant.example"
        assert item.event.type == EventType.BOUNCED and item.event.permanent
        assert reason_render(item.event.reason) == f"{MAILBOX_MISSING} (550 5.1.1 user unknown)"
        assert item.message_id == self.MESSAGE_ID
        assert item.event.at == utc(2026, 3, 2, 9, 0, 5, 321000)

    def test_transient_bounce_is_temporary(self):
        item = one("amazon_ses", "bounce_transient")
        assert not item.event.permanent
        assert reason_render(item.event.reason) == f"{MAILBOX_FULL} (452 4.2.2 Mailbox full)"

    def test_delivery_delay_is_a_deferral_for_the_delayed_recipient_only(self):
        assert anymail_types("amazon_ses", "delivery_delay") == ["unknown", "unknown"]
        item = one("amazon_ses", "delivery_delay")
        assert item.event.type == EventType.DEFERRED
        assert item.recipient == "boekhouding@klant.example"
        assert item.event.code == "421 4.4.1"

    def test_one_notification_for_two_recipients_gives_two_keys(self):
        body = json.loads(payload("amazon_ses", "delivery"))
        message = json.loads(body["Message"])
        message["delivery"]["recipients"] = ["boekhouding@klant.example", "niemand@klant.example"]
        body["Message"] = json.dumps(message)
        items = webhook_events_classify("amazon_ses", post("amazon_ses", json.dumps(body)))
        assert [i.recipient for i in items] == [
            "boekhouding@klant.example",
            "niemand@klant.example",
        ]
        assert len({i.dedupe_key for i in items}) == 2

    def test_open_is_classified_by_its_user_agent(self):
        item = one("amazon_ses", "open")
        assert item.event.type == EventType.OPENED and not item.event.machine


class TestBrevo:
    def test_every_event_gets_a_hash_key_because_brevo_has_no_event_ids(self):
        keys = {
            one("brevo", name).dedupe_key
            for name in ("request", "delivered", "soft_bounce", "proxy_open", "unique_opened")
        }
        assert len(keys) == 5
        assert all(key.startswith("brevo:sha256:") for key in keys)

    def test_request_is_accepted_and_delivered_is_delivered(self):
        assert one("brevo", "request").event.type == EventType.QUEUED
        assert one("brevo", "delivered").event.type == EventType.DELIVERED

    def test_soft_bounce_is_temporary_hard_bounce_is_final(self):
        soft, hard = one("brevo", "soft_bounce").event, one("brevo", "hard_bounce").event
        assert not soft.permanent and reason_render(soft.reason).startswith(MAILBOX_FULL)
        assert hard.permanent and reason_render(hard.reason).startswith(MAILBOX_MISSING)
        assert hard.code == "550 5.5.0"

    def test_proxy_open_is_automatic_unique_opened_is_human(self):
        assert anymail_types("brevo", "proxy_open") == ["opened"]
        assert one("brevo", "proxy_open").event.machine
        assert not one("brevo", "unique_opened").event.machine

    def test_an_event_without_ts_epoch_takes_ts_event(self):
        item = one("brevo", "complaint_without_ts_epoch")
        assert item.event.at == utc(2026, 3, 3, 8, 0)

    def test_a_custom_header_that_is_not_json_is_a_clear_error(self):
        with pytest.raises(ClassificationError, match="Brevo webhook body could not be read"):
            events("brevo", "bad_custom_header")


class TestResend:
    MESSAGE_ID = "56761188-7520-42d8-8898-ff6fc54ce618"

    @pytest.mark.parametrize(
        ("name", "type_"),
        [
            ("email_sent", EventType.SENT),
            ("email_delivered", EventType.DELIVERED),
            ("email_delivery_delayed", EventType.DEFERRED),
            ("email_opened", EventType.OPENED),
            ("email_clicked", EventType.CLICKED),
        ],
    )
    def test_types(self, name, type_):
        item = one("resend", name)
        assert item.event.type == type_
        assert item.message_id == self.MESSAGE_ID
        assert item.dedupe_key == f"resend:{SVIX_ID}:boekhouding@klant.example"

    def test_failed_is_a_failure_although_anymail_says_unknown(self):
        assert anymail_types("resend", "email_failed") == ["unknown"]
        item = one("resend", "email_failed")
        assert item.event.type == EventType.FAILED and item.event.permanent
        assert (
            reason_render(item.event.reason)
            == "The provider could not send the email (reached_daily_quota)"
        )

    def test_bounce_type_tells_soft_from_hard(self):
        assert one("resend", "email_bounced_permanent").event.permanent
        assert not one("resend", "email_bounced_transient").event.permanent

    def test_without_svix_id_the_key_is_a_hash(self):
        item = one("resend", "email_delivered", headers={})
        assert item.dedupe_key.startswith("resend:sha256:")

    def test_an_open_without_details_is_human(self):
        item = one("resend", "email_opened")
        assert not item.event.machine and item.event.reason == ""


class TestPostal:
    @pytest.mark.parametrize(
        ("name", "type_", "permanent"),
        [
            ("message_sent", EventType.DELIVERED, True),
            ("message_delayed", EventType.DEFERRED, True),
            ("message_delivery_failed", EventType.FAILED, True),
            ("message_bounced", EventType.BOUNCED, True),
            ("message_link_clicked", EventType.CLICKED, True),
        ],
    )
    def test_types(self, name, type_, permanent):
        item = one("postal", name)
        assert (item.event.type, item.event.permanent) == (type_, permanent)
        assert item.dedupe_key.startswith("postal:")

    def test_hard_fail_reason(self):
        item = one("postal", "message_delivery_failed")
        assert reason_render(item.event.reason).startswith(
            MAILBOX_MISSING + " (550 5.1.1 <niemand@klant.example>"
        )
        assert item.message_id == "12346"

    def test_message_loaded_is_an_open_although_anymail_says_unknown(self):
        assert anymail_types("postal", "message_loaded") == ["unknown"]
        item = one("postal", "message_loaded")
        assert item.event.type == EventType.OPENED and not item.event.machine
        apple = one("postal", "message_loaded_apple")
        assert apple.event.type == EventType.OPENED and apple.event.machine


class TestSparkPost:
    def test_a_batch_skips_pings_and_reads_initial_open(self):
        items = events("sparkpost", "events")
        assert [(i.event.type, i.event.permanent, i.event.machine) for i in items] == [
            (EventType.QUEUED, True, False),
            (EventType.DEFERRED, True, False),
            (EventType.DELIVERED, True, False),
            (EventType.OPENED, True, True),  # initial_open from Apple's proxy
            (EventType.OPENED, True, False),
            (EventType.BOUNCED, True, False),
        ]
        assert anymail_types("sparkpost", "events")[3] == "unknown"
        bounce = items[5]
        assert bounce.event.code == "550 5.1.1" and bounce.recipient == "niemand@klant.example"
        assert bounce.dedupe_key == "sparkpost:92356927693813861:niemand@klant.example"


class TestMailjet:
    def test_a_batch(self):
        items = events("mailjet", "events")
        assert [(i.event.type, i.event.permanent) for i in items] == [
            (EventType.DELIVERED, True),
            (EventType.OPENED, True),
            (EventType.BOUNCED, False),
            (EventType.BOUNCED, True),
            (EventType.COMPLAINED, True),
        ]
        assert items[0].message_id == "19421777396190490"
        assert len({i.dedupe_key for i in items}) == 5
        assert all(i.dedupe_key.startswith("mailjet:sha256:") for i in items)
        assert (
            reason_render(items[2].event.reason)
            == f"{MAILBOX_FULL} (quota exceeded: 452 4.2.2 Mailbox full)"
        )


class TestDedupe:
    @pytest.mark.parametrize(
        ("provider", "name"),
        [
            ("postmark", "delivery"),
            ("brevo", "delivered"),
            ("mailjet", "events"),
            ("resend", "email_opened"),
        ],
    )
    def test_a_replayed_request_gives_the_same_keys(self, provider, name):
        first = [i.dedupe_key for i in events(provider, name)]
        again = [i.dedupe_key for i in events(provider, name)]
        assert first == again

    def test_the_same_event_at_another_time_is_another_event(self):
        body = json.loads(payload("postmark", "open"))
        body["ReceivedAt"] = "2026-03-02T11:00:00Z"
        (later,) = webhook_events_classify("postmark", post("postmark", json.dumps(body)))
        assert later.dedupe_key != one("postmark", "open").dedupe_key

    def test_the_key_ignores_the_json_key_order(self):
        body = json.loads(payload("brevo", "delivered"))
        reordered = json.dumps(dict(reversed(list(body.items()))))
        (item,) = webhook_events_classify("brevo", post("brevo", reordered))
        assert item.dedupe_key == one("brevo", "delivered").dedupe_key

    def test_a_very_long_event_id_is_hashed_to_fit_an_index(self):
        body = json.loads(payload("sparkpost", "events"))
        body[3]["msys"]["message_event"]["event_id"] = "9" * 400
        items = webhook_events_classify("sparkpost", post("sparkpost", json.dumps(body)))
        assert all(len(i.dedupe_key) <= 191 for i in items)


GARBAGE = [b"not json", b"\xff\xfe\x00", b'{"event": ', b"null", b"42"]


class TestMalformedInput:
    @pytest.mark.parametrize("provider", sorted(PROVIDERS))
    @pytest.mark.parametrize("body", GARBAGE)
    def test_garbage_bodies_are_a_clear_error_for_every_provider(self, provider, body):
        with pytest.raises(ClassificationError, match=PROVIDERS[provider].label):
            webhook_events_classify(provider, post(provider, body))

    def test_an_event_without_time_is_refused(self):
        body = json.loads(payload("postmark", "delivery"))
        del body["DeliveredAt"]
        with pytest.raises(ClassificationError, match="Postmark event has no time"):
            webhook_events_classify("postmark", post("postmark", json.dumps(body)))

    def test_an_event_without_message_id_is_refused(self):
        body = json.loads(payload("postmark", "delivery"))
        del body["MessageID"]
        with pytest.raises(ClassificationError, match="names no message"):
            webhook_events_classify("postmark", post("postmark", json.dumps(body)))

    def test_a_resend_bounce_that_is_not_an_object_is_refused(self):
        body = json.loads(payload("resend", "email_bounced_permanent"))
        body["data"]["bounce"] = "hard"
        with pytest.raises(ClassificationError, match="Resend"):
            webhook_events_classify("resend", post("resend", json.dumps(body)))

    def test_a_sparkpost_event_with_two_classes_is_refused(self):
        body = [{"msys": {"message_event": {}, "track_event": {}}}]
        with pytest.raises(ClassificationError, match="SparkPost"):
            webhook_events_classify("sparkpost", post("sparkpost", json.dumps(body)))

    def test_a_mailgun_event_without_event_name_is_refused(self):
        body = json.loads(payload("mailgun", "delivered"))
        del body["event-data"]["event"]
        with pytest.raises(ClassificationError, match="Mailgun"):
            webhook_events_classify("mailgun", post("mailgun", json.dumps(body)))

    def test_an_inbound_post_on_the_tracking_url_says_which_url_to_use(self):
        inbound = {
            "id": 1,
            "rcpt_to": "in@send.example",
            "mail_from": "a@b.example",
            "message": "x",
        }
        with pytest.raises(ClassificationError, match="tracking one for Postal"):
            webhook_events_classify("postal", post("postal", json.dumps(inbound)))

    def test_an_unknown_provider_lists_the_known_ones(self):
        with pytest.raises(ClassificationError, match="use one of amazon_ses, brevo"):
            webhook_events_classify("pigeon", post("postmark", b"{}"))

    @pytest.mark.parametrize("esp_event", [None, "text", ["a", "list"]])
    def test_a_hand_made_event_with_an_odd_raw_payload_is_refused(self, esp_event):
        tracking = AnymailTrackingEvent(
            event_type="delivered",
            timestamp=utc(2026, 3, 2, 9, 0),
            message_id="m1",
            recipient="a@klant.example",
            esp_event=esp_event,
        )
        with pytest.raises(ClassificationError):
            classify(tracking, "postmark")

    def test_a_naive_timestamp_is_taken_as_utc(self):
        tracking = AnymailTrackingEvent(
            event_type="delivered",
            timestamp=dt.datetime(2026, 3, 2, 9, 0),
            message_id="m1",
            recipient="a@klant.example",
            esp_event={"RecordType": "Delivery"},
        )
        (item,) = classify(tracking, "postmark")
        assert item.event.at == utc(2026, 3, 2, 9, 0)


class TestStoredRequests:
    def test_a_stored_json_request_classifies_like_the_original(self):
        body = payload("resend", "email_bounced_transient")
        headers = {"Content-Type": "application/json", "svix-id": SVIX_ID, "Content-Length": "1"}
        rebuilt = webhook_events_classify("resend", request_rebuild(body, headers))
        assert rebuilt == events("resend", "email_bounced_transient")

    def test_a_stored_form_request_classifies_like_the_original(self):
        body = b"event=delivered&recipient=a%40klant.example&timestamp=1772442004&token=t0k&message-id=m1%40send.example"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        (item,) = webhook_events_classify("mailgun", request_rebuild(body, headers))
        assert (item.event.type, item.message_id) == (EventType.DELIVERED, "m1@send.example")
        assert item.dedupe_key == "mailgun:t0k:a@klant.example"


class TestIntoTheStatusRules:
    def status(self, items):
        return shown_status(
            facts_from(i.event for i in items),
            now=utc(2026, 3, 4),
            handed_off_at=utc(2026, 3, 2, 9),
            in_transit_for=dt.timedelta(days=25),
        )

    def test_soft_bounce_then_delivery_then_apple_proxy_is_delivered_then_read(self):
        arrived = [one("postmark", n) for n in ("open_apple_proxy", "delivery", "bounce_soft")]
        assert self.status(arrived) == Status.DELIVERED
        assert self.status([*arrived, one("postmark", "open")]) == Status.READ

    def test_a_sendgrid_day_in_any_order(self):
        items = events("sendgrid", "events")
        assert self.status(items) == self.status(list(reversed(items))) == Status.READ

    def test_a_hard_bounce_is_failed_with_its_reason(self):
        item = one("amazon_ses", "bounce_permanent")
        facts = facts_from([item.event])
        assert self.status([item]) == Status.FAILED
        assert facts.failure is not None and facts.failure.code == "550 5.1.1"

    def test_a_resend_soft_bounce_stays_in_transit(self):
        assert self.status([one("resend", "email_bounced_transient")]) == Status.IN_TRANSIT


def test_every_provider_has_documented_payloads_and_nothing_else_does():
    folders = {path.name for path in PAYLOADS.iterdir() if path.is_dir()}
    assert folders == set(PROVIDERS)
    assert all(any((PAYLOADS / name).glob("*.json")) for name in PROVIDERS)
