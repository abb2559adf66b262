"""Webhook authentication beyond anymail: SNS signatures, Postal signatures, freshness."""

import datetime as dt
import json
import time

import pytest
from anymail.exceptions import AnymailWebhookValidationFailure
from cryptography.hazmat.primitives import hashes
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory

from porto.mail.feedback.webhook_auth import webhook_authenticate, webhook_freshness_check
from porto.mail.providers.amazon_ses.auth import (
    sns_certificate_cache_clear,
    sns_message_verify,
)
from porto.mail.providers.base.auth import WebhookAuthError, timestamp_check
from porto.mail.providers.postal.auth import postal_signature_verify

from .crypto_helpers import (
    public_key_base64,
    rsa_key,
    rsa_sign,
    self_signed_certificate,
    sns_documented_string_to_sign,
)

TOPIC = "arn:aws:sns:eu-west-1:123456789012:porto-ses-events"
CERT_URL = (
    "https://sns.eu-west-1.amazonaws.com/"
    "SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
)
SES_DELIVERY = {
    "eventType": "Delivery",
    "mail": {
        "timestamp": "2026-03-02T09:00:00.000Z",
        "messageId": "0102018e0a1b2c3d-11111111-2222-3333-4444-555555555555-000000",
        "destination": ["boekhouding@klant.example"],
    },
    "delivery": {
        "timestamp": "2026-03-02T09:00:02.000Z",
        "recipients": ["boekhouding@klant.example"],
        "smtpResponse": "250 2.0.0 OK",
    },
}


@pytest.fixture(autouse=True)
def _fresh_certificate_cache():
    sns_certificate_cache_clear()
    yield
    sns_certificate_cache_clear()


class CertificateServer:
    """The one seam: stands in for the HTTPS download of the signing certificate."""

    def __init__(self, pem: bytes):
        self.pem = pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


def sns_notification(**overrides) -> dict:
    message = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(SES_DELIVERY),
        "Timestamp": "2026-03-02T09:00:03.123Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    }
    message.update(overrides)
    return message


def sns_time(offset: dt.timedelta = dt.timedelta(0)) -> str:
    """An SNS ``Timestamp``: now (plus ``offset``), as SNS writes it."""
    at = dt.datetime.now(dt.UTC) + offset
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def signed(message: dict, key=None, algorithm=None) -> bytes:
    algorithm = algorithm or (hashes.SHA1 if message["SignatureVersion"] == "1" else hashes.SHA256)
    message = dict(message)
    message["Signature"] = rsa_sign(
        key or rsa_key("sns"), sns_documented_string_to_sign(message), algorithm
    )
    return json.dumps(message).encode()


@pytest.fixture
def certificates():
    return CertificateServer(self_signed_certificate(rsa_key("sns")))


def verify(body: bytes, certificates, topics=(TOPIC,)):
    return sns_message_verify(body, allowed_topics=list(topics), fetch_certificate=certificates)


class TestSnsSignature:
    @pytest.mark.parametrize("version", ["1", "2"])
    def test_a_genuine_notification_verifies(self, certificates, version):
        message = verify(signed(sns_notification(SignatureVersion=version)), certificates)
        assert json.loads(message["Message"])["eventType"] == "Delivery"
        assert certificates.urls == [CERT_URL]

    def test_a_notification_without_subject_verifies(self, certificates):
        message = sns_notification()
        del message["Subject"]
        assert verify(signed(message), certificates)["MessageId"]

    def test_a_subscription_confirmation_verifies(self, certificates):
        message = sns_notification(
            Type="SubscriptionConfirmation",
            Token="2336412f37fb687f5d51e6e2425f004aed4ec0c8d2b5b4a0d1f1f4c0b5a1c2d3",
            SubscribeURL="https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x",
            Message="You have chosen to subscribe to the topic.",
        )
        del message["Subject"]
        assert verify(signed(message), certificates)["Type"] == "SubscriptionConfirmation"

    def test_the_certificate_is_fetched_once(self, certificates):
        verify(signed(sns_notification()), certificates)
        verify(signed(sns_notification(MessageId="another")), certificates)
        assert certificates.urls == [CERT_URL]

    def test_a_changed_message_is_refused(self, certificates):
        body = json.loads(signed(sns_notification()))
        body["Message"] = body["Message"].replace("Delivery", "Bounce")
        with pytest.raises(WebhookAuthError, match="signature is wrong"):
            verify(json.dumps(body).encode(), certificates)

    def test_a_signature_by_another_key_is_refused(self, certificates):
        with pytest.raises(WebhookAuthError, match="signature is wrong"):
            verify(signed(sns_notification(), key=rsa_key("attacker")), certificates)

    def test_a_sha1_signature_announced_as_version_2_is_refused(self, certificates):
        body = signed(sns_notification(SignatureVersion="2"), algorithm=hashes.SHA1)
        with pytest.raises(WebhookAuthError, match="signature is wrong"):
            verify(body, certificates)

    @pytest.mark.parametrize("version", ["3", "", None])
    def test_an_unknown_signature_version_is_refused(self, certificates, version):
        body = json.loads(signed(sns_notification()))
        body["SignatureVersion"] = version
        with pytest.raises(WebhookAuthError, match="SignatureVersion"):
            verify(json.dumps(body).encode(), certificates)

    @pytest.mark.parametrize("signature", ["", "not base64 !!", None])
    def test_a_missing_or_garbled_signature_is_refused(self, certificates, signature):
        body = json.loads(signed(sns_notification()))
        body["Signature"] = signature
        with pytest.raises(WebhookAuthError):
            verify(json.dumps(body).encode(), certificates)

    def test_a_topic_outside_the_allow_list_is_refused_before_any_download(self, certificates):
        other = "arn:aws:sns:eu-west-1:999999999999:someone-else"
        with pytest.raises(WebhookAuthError, match="not one of PORTO_SNS_TOPIC_ARNS"):
            verify(signed(sns_notification(TopicArn=other)), certificates, topics=(TOPIC,))
        assert certificates.urls == []

    def test_an_empty_allow_list_refuses_everything(self, certificates):
        with pytest.raises(WebhookAuthError, match="list your topic ARNs"):
            verify(signed(sns_notification()), certificates, topics=())

    def test_the_allow_list_comes_from_settings(self, certificates, settings):
        settings.PORTO_SNS_TOPIC_ARNS = [TOPIC]
        body = signed(sns_notification())
        assert sns_message_verify(body, fetch_certificate=certificates)["TopicArn"] == TOPIC
        settings.PORTO_SNS_TOPIC_ARNS = []
        with pytest.raises(WebhookAuthError):
            sns_message_verify(body, fetch_certificate=certificates)

    @pytest.mark.parametrize(
        "url",
        [
            "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
            "https://sns.eu-west-1.amazonaws.com.evil.example/SimpleNotificationService-x.pem",
            "https://evil.example/sns.eu-west-1.amazonaws.com/x.pem",
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",  # other region
            "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-x.pem",
            "https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
            "https://sns.eu-west-1.amazonaws.com/redirect?to=evil",
            "https://s3.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
        ],
    )
    def test_a_certificate_url_off_the_pinned_host_is_refused_without_download(
        self, certificates, url
    ):
        with pytest.raises(WebhookAuthError, match="certificate URL"):
            verify(signed(sns_notification(SigningCertURL=url)), certificates)
        assert certificates.urls == []

    def test_an_expired_certificate_is_refused(self):
        old = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        server = CertificateServer(self_signed_certificate(rsa_key("sns"), not_before=old))
        with pytest.raises(WebhookAuthError, match="not valid at this time"):
            verify(signed(sns_notification()), server)

    def test_a_download_that_is_not_a_certificate_is_refused(self):
        with pytest.raises(WebhookAuthError, match="not a PEM certificate"):
            verify(signed(sns_notification()), CertificateServer(b"<html>oops</html>"))

    def test_a_failed_download_is_a_clear_refusal(self):
        def unreachable(url):
            raise OSError("Network is unreachable")

        with pytest.raises(WebhookAuthError, match="Could not download"):
            verify(signed(sns_notification()), unreachable)

    @pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe"])
    def test_a_body_that_is_not_an_sns_message_is_refused(self, certificates, body):
        with pytest.raises(WebhookAuthError):
            verify(body, certificates)

    @pytest.mark.parametrize("missing", ["TopicArn", "SigningCertURL", "Timestamp", "Message"])
    def test_a_message_missing_a_signed_field_is_refused(self, certificates, missing):
        body = json.loads(signed(sns_notification()))
        del body[missing]
        with pytest.raises(WebhookAuthError):
            verify(json.dumps(body).encode(), certificates)

    def test_the_refusal_is_a_400_inside_a_django_view(self):
        assert issubclass(WebhookAuthError, SuspiciousOperation)


POSTAL_BODY = json.dumps(
    {
        "event": "MessageSent",
        "timestamp": 1772442000.5,
        "uuid": "0f8e7b86-9c55-4b2a-8cb1-0b7a7b1a2d11",
        "payload": {"status": "Sent", "message": {"id": 12345, "to": "a@klant.example"}},
    }
).encode()


class TestPostalSignature:
    @pytest.fixture
    def key(self):
        return public_key_base64(rsa_key("postal"))

    def test_sha1_signature_verifies(self, key):
        headers = {"X-Postal-Signature": rsa_sign(rsa_key("postal"), POSTAL_BODY, hashes.SHA1)}
        postal_signature_verify(POSTAL_BODY, headers, key)

    def test_sha256_signature_verifies(self, key):
        headers = {"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)}
        postal_signature_verify(POSTAL_BODY, headers, key)

    def test_the_key_may_be_given_as_pem(self):
        from cryptography.hazmat.primitives import serialization

        pem = (
            rsa_key("postal")
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        headers = {"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)}
        postal_signature_verify(POSTAL_BODY, headers, pem)

    def test_when_both_are_sent_a_wrong_sha256_is_not_rescued_by_sha1(self, key):
        headers = {
            "X-Postal-Signature-256": rsa_sign(rsa_key("attacker"), POSTAL_BODY),
            "X-Postal-Signature": rsa_sign(rsa_key("postal"), POSTAL_BODY, hashes.SHA1),
        }
        with pytest.raises(WebhookAuthError, match="Signature-256 signature is wrong"):
            postal_signature_verify(POSTAL_BODY, headers, key)

    def test_a_changed_body_is_refused(self, key):
        headers = {"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)}
        with pytest.raises(WebhookAuthError, match="wrong"):
            postal_signature_verify(POSTAL_BODY.replace(b"Sent", b"HardFail"), headers, key)

    def test_a_sha1_signature_in_the_sha256_header_is_refused(self, key):
        sig = rsa_sign(rsa_key("postal"), POSTAL_BODY, hashes.SHA1)
        with pytest.raises(WebhookAuthError):
            postal_signature_verify(POSTAL_BODY, {"X-Postal-Signature-256": sig}, key)

    @pytest.mark.parametrize("headers", [{}, {"X-Postal-Signature": ""}])
    def test_an_unsigned_request_is_refused(self, key, headers):
        with pytest.raises(WebhookAuthError, match="not signed"):
            postal_signature_verify(POSTAL_BODY, headers, key)

    def test_garbled_base64_is_refused(self, key):
        with pytest.raises(WebhookAuthError, match="wrong"):
            postal_signature_verify(POSTAL_BODY, {"X-Postal-Signature": "%%%"}, key)

    def test_a_broken_configured_key_says_what_to_fix(self):
        headers = {"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)}
        with pytest.raises(WebhookAuthError, match="copy it again"):
            postal_signature_verify(POSTAL_BODY, headers, "bm90IGEga2V5")

    def test_works_with_django_request_headers(self, key):
        request = RequestFactory().post(
            "/hooks/postal/",
            data=POSTAL_BODY,
            content_type="application/json",
            headers={"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)},
        )
        postal_signature_verify(request.body, request.headers, key)


NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def mailgun_json_request(timestamp):
    body = {
        "signature": {"timestamp": str(timestamp), "token": "a" * 50, "signature": "f" * 64},
        "event-data": {"event": "delivered", "timestamp": timestamp},
    }
    return RequestFactory().post(
        "/hooks/mailgun/", data=json.dumps(body), content_type="application/json"
    )


def mailgun_form_request(timestamp):
    return RequestFactory().post(
        "/hooks/mailgun/",
        data={"timestamp": str(timestamp), "token": "b" * 50, "signature": "0" * 64},
    )


def sendgrid_request(timestamp):
    return RequestFactory().post(
        "/hooks/sendgrid/",
        data="[]",
        content_type="application/json",
        headers={
            "X-Twilio-Email-Event-Webhook-Signature": "MEUCIQ...",
            "X-Twilio-Email-Event-Webhook-Timestamp": str(timestamp),
        },
    )


def resend_request(timestamp):
    return RequestFactory().post(
        "/hooks/resend/",
        data="{}",
        content_type="application/json",
        headers={
            "svix-id": "msg_2Lh9KRb0pzN4LePd3XiA4v",
            "svix-timestamp": str(timestamp),
            "svix-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        },
    )


REQUESTS = {
    "mailgun": mailgun_json_request,
    "sendgrid": sendgrid_request,
    "resend": resend_request,
}


class TestFreshness:
    @pytest.mark.parametrize("provider", ["mailgun", "sendgrid", "resend"])
    @pytest.mark.parametrize("age", [0, 299, -299])
    def test_recent_requests_pass(self, provider, age):
        request = REQUESTS[provider](int(NOW.timestamp()) - age)
        webhook_freshness_check(provider, request, now=NOW)

    @pytest.mark.parametrize("provider", ["mailgun", "sendgrid", "resend"])
    @pytest.mark.parametrize("age", [301, 86_400, -301])
    def test_stale_or_future_requests_are_refused(self, provider, age):
        request = REQUESTS[provider](int(NOW.timestamp()) - age)
        with pytest.raises(WebhookAuthError, match="stale or replayed"):
            webhook_freshness_check(provider, request, now=NOW)

    def test_mailgun_legacy_form_posts_are_checked_too(self):
        webhook_freshness_check("mailgun", mailgun_form_request(int(NOW.timestamp())), now=NOW)
        with pytest.raises(WebhookAuthError):
            webhook_freshness_check(
                "mailgun", mailgun_form_request(int(NOW.timestamp()) - 3600), now=NOW
            )

    @pytest.mark.parametrize("provider", ["mailgun", "sendgrid", "resend"])
    @pytest.mark.parametrize("value", ["", "yesterday", "nan", "inf", "1e400"])
    def test_missing_or_garbled_timestamps_are_refused(self, provider, value):
        with pytest.raises(WebhookAuthError, match="no valid signed timestamp"):
            webhook_freshness_check(provider, REQUESTS[provider](value), now=NOW)

    def test_mailgun_json_without_signature_block_is_refused(self):
        request = RequestFactory().post("/h/", data="{}", content_type="application/json")
        with pytest.raises(WebhookAuthError):
            webhook_freshness_check("mailgun", request, now=NOW)

    def test_the_maximum_age_is_a_setting(self, settings):
        settings.PORTO_WEBHOOK_MAX_AGE = 3600
        webhook_freshness_check("sendgrid", sendgrid_request(int(NOW.timestamp()) - 1800), now=NOW)
        settings.PORTO_WEBHOOK_MAX_AGE = 60
        with pytest.raises(WebhookAuthError):
            webhook_freshness_check(
                "sendgrid", sendgrid_request(int(NOW.timestamp()) - 120), now=NOW
            )

    def test_uses_the_real_clock_by_default(self):
        timestamp_check(int(time.time()), source="Mailgun")
        with pytest.raises(WebhookAuthError):
            timestamp_check(int(time.time()) - 3600, source="Mailgun")

    @pytest.mark.parametrize("provider", ["postmark", "brevo", "mailjet", "sparkpost", "postal"])
    def test_providers_without_a_signed_time_are_not_checked_here(self, provider):
        request = RequestFactory().post("/h/", data="{}", content_type="application/json")
        webhook_freshness_check(provider, request, now=NOW)

    def sns_request(self, timestamp: str):
        body = json.dumps(sns_notification(Timestamp=timestamp))
        return RequestFactory().post("/h/", data=body, content_type="text/plain; charset=UTF-8")

    def test_an_sns_notification_published_just_now_passes(self):
        webhook_freshness_check("amazon_ses", self.sns_request("2026-03-02T09:00:03.123Z"), now=NOW)

    @pytest.mark.parametrize(
        "timestamp", ["2026-03-02T08:54:59.000Z", "2026-03-02T09:05:01.000Z", "yesterday", ""]
    )
    def test_an_sns_notification_outside_the_window_or_undated_is_refused(self, timestamp):
        with pytest.raises(WebhookAuthError, match="Amazon SNS"):
            webhook_freshness_check("amazon_ses", self.sns_request(timestamp), now=NOW)


class TestWithAnymailsOwnValidators:
    """anymail checks the signatures; these show what it leaves to Porto."""

    def test_anymail_accepts_a_stale_mailgun_signature_and_porto_refuses_it(self):
        import hashlib
        import hmac

        from anymail.webhooks.mailgun import MailgunTrackingWebhookView

        key = "porto-test-mailgun-signing-key"
        stale = str(int(NOW.timestamp()) - 86_400)
        token = "9" * 50
        signature = hmac.new(key.encode(), f"{stale}{token}".encode(), hashlib.sha256).hexdigest()
        body = {
            "signature": {"timestamp": stale, "token": token, "signature": signature},
            "event-data": {"event": "delivered", "timestamp": float(stale)},
        }
        request = RequestFactory().post(
            "/hooks/mailgun/", data=json.dumps(body), content_type="application/json"
        )
        MailgunTrackingWebhookView(webhook_signing_key=key).run_validators(request)  # accepted
        with pytest.raises(WebhookAuthError, match="stale or replayed"):
            webhook_freshness_check("mailgun", request, now=NOW)

    def test_anymail_accepts_a_stale_sendgrid_signature_and_porto_refuses_it(self):
        import base64
        import warnings

        from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        private = ec.generate_private_key(ec.SECP256R1())
        public_der = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        stale = str(int(NOW.timestamp()) - 3600)
        body = b'[{"email":"a@klant.example","event":"delivered","timestamp":1772438400}]'
        signature = private.sign(stale.encode() + body, ec.ECDSA(hashes.SHA256()))
        request = RequestFactory().post(
            "/hooks/sendgrid/",
            data=body,
            content_type="application/json",
            headers={
                "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": stale,
            },
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # anymail's "SendGrid is no longer supported"
            view = SendGridTrackingWebhookView(
                tracking_webhook_verification_key=base64.b64encode(public_der).decode()
            )
        view.run_validators(request)  # accepted
        with pytest.raises(WebhookAuthError, match="stale or replayed"):
            webhook_freshness_check("sendgrid", request, now=NOW)

    def test_anymail_refuses_postal_sha256_only_requests_that_porto_verifies(self):
        from anymail.exceptions import AnymailWebhookValidationFailure
        from anymail.webhooks.postal import PostalTrackingWebhookView

        key = public_key_base64(rsa_key("postal"))
        request = RequestFactory().post(
            "/hooks/postal/",
            data=POSTAL_BODY,
            content_type="application/json",
            headers={"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)},
        )
        with pytest.raises(AnymailWebhookValidationFailure):
            PostalTrackingWebhookView(webhook_key=key).run_validators(request)
        postal_signature_verify(request.body, request.headers, key)


BASIC = "porto:s3cret-webhook-password"


def with_basic_auth(credentials: str = BASIC) -> dict:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


@pytest.fixture
def anymail_settings(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": BASIC,
        "MAILGUN_WEBHOOK_SIGNING_KEY": "porto-test-mailgun-signing-key",
        "POSTAL_WEBHOOK_KEY": public_key_base64(rsa_key("postal")),
    }
    settings.PORTO_SNS_TOPIC_ARNS = [TOPIC]
    return settings


def signed_mailgun(timestamp: int, key="porto-test-mailgun-signing-key", headers=None):
    import hashlib
    import hmac

    token = "7" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    body = {
        "signature": {"timestamp": str(timestamp), "token": token, "signature": signature},
        "event-data": {"event": "delivered", "timestamp": float(timestamp)},
    }
    return RequestFactory().post(
        "/hooks/mailgun/",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers if headers is not None else with_basic_auth(),
    )


class TestWebhookAuthenticate:
    def test_a_fresh_well_signed_mailgun_request_passes(self, anymail_settings):
        webhook_authenticate("mailgun", signed_mailgun(int(NOW.timestamp())), now=NOW)

    def test_a_stale_mailgun_request_is_refused(self, anymail_settings):
        with pytest.raises(WebhookAuthError, match="stale or replayed"):
            webhook_authenticate("mailgun", signed_mailgun(int(NOW.timestamp()) - 900), now=NOW)

    def test_a_wrong_mailgun_signature_is_refused_by_anymail(self, anymail_settings):
        request = signed_mailgun(int(NOW.timestamp()), key="someone-else")
        with pytest.raises(AnymailWebhookValidationFailure, match="incorrect signature"):
            webhook_authenticate("mailgun", request, now=NOW)

    def test_wrong_basic_auth_is_refused(self, anymail_settings):
        request = signed_mailgun(int(NOW.timestamp()), headers=with_basic_auth("porto:guess"))
        with pytest.raises(AnymailWebhookValidationFailure, match="basic auth"):
            webhook_authenticate("mailgun", request, now=NOW)

    def test_postmark_relies_on_basic_auth(self, anymail_settings):
        body = b'{"RecordType": "Delivery"}'

        def request(headers):
            return RequestFactory().post(
                "/h/", data=body, content_type="application/json", headers=headers
            )

        webhook_authenticate("postmark", request(with_basic_auth()), now=NOW)
        with pytest.raises(AnymailWebhookValidationFailure):
            webhook_authenticate("postmark", request({}), now=NOW)

    def test_postal_sha256_with_basic_auth_passes_and_without_fails(self, anymail_settings):
        signature = {"X-Postal-Signature-256": rsa_sign(rsa_key("postal"), POSTAL_BODY)}

        def request(headers):
            return RequestFactory().post(
                "/h/", data=POSTAL_BODY, content_type="application/json", headers=headers
            )

        webhook_authenticate("postal", request({**signature, **with_basic_auth()}), now=NOW)
        with pytest.raises(WebhookAuthError, match="basic auth"):
            webhook_authenticate("postal", request(signature), now=NOW)
        with pytest.raises(WebhookAuthError, match="not signed"):
            webhook_authenticate("postal", request(with_basic_auth()), now=NOW)

    def test_amazon_sns_is_verified_by_its_signature(self, anymail_settings, certificates):
        def request(body):
            return RequestFactory().post(
                "/h/",
                data=body,
                content_type="text/plain; charset=UTF-8",  # what SNS sends
                headers={**with_basic_auth(), "x-amz-sns-message-type": "Notification"},
            )

        good = signed(sns_notification(Timestamp=sns_time()))
        webhook_authenticate("amazon_ses", request(good), fetch_certificate=certificates)
        forged = signed(sns_notification(Timestamp=sns_time()), key=rsa_key("attacker"))
        with pytest.raises(WebhookAuthError, match="signature is wrong"):
            webhook_authenticate("amazon_ses", request(forged), fetch_certificate=certificates)

    def test_an_hour_old_but_well_signed_sns_notification_is_refused(
        self, anymail_settings, certificates
    ):
        an_hour_ago = sns_time(dt.timedelta(hours=-1))
        request = RequestFactory().post(
            "/h/",
            data=signed(sns_notification(Timestamp=an_hour_ago)),
            content_type="text/plain; charset=UTF-8",
            headers=with_basic_auth(),
        )
        with pytest.raises(WebhookAuthError, match="stale or replayed"):
            webhook_authenticate("amazon_ses", request, fetch_certificate=certificates)

    def test_a_missing_signing_key_refuses_every_request(self, settings):
        settings.ANYMAIL = {"WEBHOOK_SECRET": BASIC}
        with pytest.raises(WebhookAuthError, match="not configured: set ANYMAIL_MAILGUN_WEBHOOK"):
            webhook_authenticate("mailgun", signed_mailgun(int(NOW.timestamp())), now=NOW)


class TestResendSignatures:
    SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    def request(self, at: dt.datetime, secret: str | None = None):
        from svix.webhooks import Webhook

        body = '{"type":"email.delivered","created_at":"2026-03-02T09:00:04.126Z","data":{}}'
        msg_id = "msg_2Lh9KRb0pzN4LePd3XiA4v"
        signature = Webhook(secret or self.SECRET).sign(msg_id, at, body)
        return RequestFactory().post(
            "/hooks/resend/",
            data=body,
            content_type="application/json",
            headers={
                "svix-id": msg_id,
                "svix-timestamp": str(int(at.timestamp())),
                "svix-signature": signature,
            },
        )

    @pytest.fixture(autouse=True)
    def _signing_secret(self, settings):
        settings.ANYMAIL = {"RESEND_SIGNING_SECRET": self.SECRET}

    def test_a_fresh_signed_request_passes(self):
        now = dt.datetime.now(dt.UTC)
        webhook_authenticate("resend", self.request(now), now=now)

    def test_a_request_signed_with_another_secret_is_refused(self):
        now = dt.datetime.now(dt.UTC)
        other = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
        with pytest.raises(AnymailWebhookValidationFailure, match="incorrect signature"):
            webhook_authenticate("resend", self.request(now, secret=other), now=now)

    def test_a_stale_signed_request_is_refused(self):
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        with pytest.raises(AnymailWebhookValidationFailure):
            webhook_authenticate("resend", self.request(old))
