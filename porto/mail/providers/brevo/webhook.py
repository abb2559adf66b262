"""Brevo: ``soft_bounce`` vs ``hard_bounce``; proxy opens are automatic; no event ids."""

import datetime as dt
import json

from anymail.webhooks.brevo import BrevoTrackingWebhookView
from django.utils.translation import gettext_noop as N_

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType

PROXY = N_("an image proxy such as Apple Mail Privacy Protection (reported by Brevo)")


class BrevoWebhook(WebhookParser):
    view_class = BrevoTrackingWebhookView
    kinds = {
        "soft_bounce": Kind(EventType.BOUNCED, permanent=False),
        "hard_bounce": Kind(EventType.BOUNCED),
        "proxy_open": Kind(EventType.OPENED, machine=PROXY),
        "unique_proxy_open": Kind(EventType.OPENED, machine=PROXY),
    }

    def raw_kind(self, detail):
        return str(detail.get("event", ""))

    def fallback_time(self, detail):
        # Some events carry only "ts_event" (seconds), not "ts_epoch" (milliseconds).
        try:
            return dt.datetime.fromtimestamp(int(detail["ts_event"]), tz=dt.UTC)
        except (KeyError, TypeError, ValueError, OverflowError):
            return None

    def parseable_body(self, body):
        # Brevo posts ``X-Mailin-custom`` as sent; anymail expects JSON there and raises
        # otherwise. A literal value is handed on as a JSON string, so the event is still read.
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return body
        if not isinstance(value, dict) or not isinstance(value.get("X-Mailin-custom"), str):
            return body
        try:
            json.loads(value["X-Mailin-custom"])
        except ValueError:
            fixed = {**value, "X-Mailin-custom": json.dumps(value["X-Mailin-custom"])}
            return json.dumps(fixed).encode("utf-8")
        return body
