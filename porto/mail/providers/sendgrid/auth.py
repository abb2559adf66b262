"""SendGrid signs its Event Webhook (ECDSA): anymail checks the signature, Porto its time."""

from django.http import HttpRequest


def sendgrid_timestamp(request: HttpRequest) -> object:
    return request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp")
