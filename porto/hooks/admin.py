from django.contrib import admin

from porto.hooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "company", "enabled", "created_at")
    list_filter = ("enabled",)
    exclude = ("secret",)  # shown to the company's owner only, never in the admin


@admin.register(WebhookMessage)
class WebhookMessageAdmin(admin.ModelAdmin):
    list_display = ("message_id", "event_type", "endpoint", "state", "attempts", "next_attempt_at")
    list_filter = ("state", "event_type")
    readonly_fields = ("message_id", "dedupe_key", "body")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(admin.ModelAdmin):
    list_display = ("message", "attempted_at", "status_code", "error", "duration_ms")
