from django.contrib import admin
from django.db import models

from porto.accounts.admin import CompanyScopedAdmin
from porto.hooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(CompanyScopedAdmin):
    list_display = ("url", "company", "enabled", "created_at")
    list_filter = ("enabled",)
    exclude = ("secret",)  # shown to the company's owner only, never in the admin
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # endpoints are https


@admin.register(WebhookMessage)
class WebhookMessageAdmin(CompanyScopedAdmin):
    company_path = "endpoint__company"
    list_display = ("message_id", "event_type", "endpoint", "state", "attempts", "next_attempt_at")
    list_filter = ("state", "event_type")
    readonly_fields = ("message_id", "dedupe_key", "body")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(CompanyScopedAdmin):
    company_path = "message__endpoint__company"
    list_display = ("message", "attempted_at", "status_code", "error", "duration_ms")
