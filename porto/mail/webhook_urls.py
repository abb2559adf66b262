"""Public tracking URLs: provider webhooks and the open pixel (see docs/tracking.md).

A webhook URL holds its provider's token (``webhook_gate.webhook_token``); ``manage.py
webhook_urls`` prints the URL to paste into the provider's dashboard."""

from django.urls import path

from porto.mail import tracking_views

urlpatterns = [
    path(
        "webhooks/<str:provider>/<str:token>/",
        tracking_views.provider_webhook,
        name="provider_webhook",
    ),
    path("t/<str:token>.gif", tracking_views.pixel, name="pixel"),
]
