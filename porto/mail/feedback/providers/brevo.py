"""Brevo: ``soft_bounce`` vs ``hard_bounce``; proxy opens are automatic; no event ids."""

import datetime as dt

from anymail.webhooks.brevo import BrevoTrackingWebhookView
from django.utils.translation import gettext_noop as N_

from porto.mail.status import EventType

from .base import Kind, Provider

PROXY = N_("an image proxy such as Apple Mail Privacy Protection (reported by Brevo)")


class Brevo(Provider):
    name = "brevo"
    label = "Brevo"
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
