"""Resend: ``email.failed`` (anymail: unknown) fails; ``bounce.type`` tells soft from hard."""

from anymail.webhooks.resend import ResendTrackingWebhookView

from porto.mail.providers.base.webhook import Kind, WebhookParser
from porto.mail.status import EventType


class ResendWebhook(WebhookParser):
    view_class = ResendTrackingWebhookView
    kinds = {
        "email.failed": Kind(EventType.FAILED),
        "email.delivery_delayed": Kind(EventType.DEFERRED),
        "email.bounced:Permanent": Kind(EventType.BOUNCED),
        "email.bounced:Transient": Kind(EventType.BOUNCED, permanent=False),
        "email.bounced:Undetermined": Kind(EventType.BOUNCED),
    }

    def _data(self, detail) -> dict:
        data = detail.get("data")
        return data if isinstance(data, dict) else {}

    def raw_kind(self, detail):
        kind = str(detail.get("type", ""))
        if kind == "email.bounced":
            return f"{kind}:{(self._data(detail).get('bounce') or {}).get('type', 'Permanent')}"
        return kind

    def server_text(self, tracking, detail):
        failed = self._data(detail).get("failed") or {}
        return str(failed.get("reason") or tracking.description or "")

    def opener(self, tracking, detail):
        action = self._data(detail).get("click") or self._data(detail).get("open") or {}
        return str(action.get("userAgent") or ""), str(action.get("ipAddress") or "")
