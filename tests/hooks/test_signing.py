"""Signed posts as the Standard Webhooks specification says, checked by an independent
implementation (svix) and by a few lines of ``hmac``, on what a real server received."""

import base64
import datetime
import hashlib
import hmac
import json

import pytest
from svix.webhooks import Webhook, WebhookVerificationError

from porto.hooks.models import WebhookMessage
from porto.hooks.services import endpoint_secret_rotate, message_deliver
from porto.hooks.signing import secret_bytes, secret_new, signature


def deliver_pending(now=None) -> None:
    for message_id in WebhookMessage.objects.filter(state="pending").values_list("pk", flat=True):
        message_deliver(message_id, now=now)


def test_a_new_secret_is_whsec_and_the_base64_of_32_random_bytes():
    secret = secret_new()
    assert secret.startswith("whsec_")
    assert len(secret_bytes(secret)) == 32
    assert secret_new() != secret


def test_the_signature_is_the_specifications_example():
    # The example of the Standard Webhooks specification (its reference test vector).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_svix_verifies_the_post_the_endpoint_received(receiver, endpoint, invoice):
    deliver_pending()
    [post] = receiver.received
    Webhook(endpoint.secret).verify(post.body, post.headers)  # raises unless it verifies
    assert json.loads(post.body)["data"]["document_id"] == invoice.pk


def test_svix_refuses_the_post_with_another_secret(receiver, endpoint, invoice):
    deliver_pending()
    [post] = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_new()).verify(post.body, post.headers)


def test_a_few_lines_of_hmac_verify_the_post(receiver, endpoint, invoice):
    deliver_pending()
    [post] = receiver.received
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    signed = f"{post.headers['webhook-id']}.{post.headers['webhook-timestamp']}.{post.body}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in post.headers["webhook-signature"].split(" ")


def test_the_body_is_type_timestamp_and_data(receiver, endpoint, invoice):
    deliver_pending()
    body = json.loads(receiver.received[0].body)
    assert set(body) == {"type", "timestamp", "data"}
    assert datetime.datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert body["data"] == {
        "company_id": invoice.company_id,
        "document_id": invoice.pk,
        "kind": "invoice",
        "number": invoice.number,
        "currency": "EUR",
        "total_incl_vat": "363.00",
        "amount_due": "363.00",
        "occurred_at": invoice.finalized_at.isoformat(),
    }


def test_a_retry_keeps_the_message_id_and_body_with_a_new_timestamp(receiver, endpoint, invoice):
    receiver.answers = [503, 200]
    message = WebhookMessage.objects.get()
    first_at = message.created_at
    message_deliver(message.pk, now=first_at)
    message.refresh_from_db()
    message_deliver(message.pk, now=message.next_attempt_at)
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.message_id
    assert first.body == second.body
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert int(first.headers["webhook-timestamp"]) == int(first_at.timestamp())
    for post in (first, second):
        Webhook(endpoint.secret).verify(post.body, post.headers)  # fresh timestamps only


def test_after_a_rotation_both_secrets_sign_for_a_day(receiver, endpoint, invoice):
    old = endpoint.secret
    message = WebhookMessage.objects.get()
    new = endpoint_secret_rotate(endpoint, now=message.created_at)
    message_deliver(message.pk, now=message.created_at)
    [post] = receiver.received
    assert len(post.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(post.body, post.headers)
    Webhook(old).verify(post.body, post.headers)


def test_a_day_after_the_rotation_only_the_new_secret_signs(endpoint):
    old = endpoint.secret
    rotated_at = endpoint.created_at
    new = endpoint_secret_rotate(endpoint, now=rotated_at)
    assert endpoint.signing_secrets(rotated_at + datetime.timedelta(hours=23)) == [new, old]
    assert endpoint.signing_secrets(rotated_at + datetime.timedelta(hours=24)) == [new]
