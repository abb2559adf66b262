"""Public tracking URLs: provider webhooks and the open pixel (see docs/tracking.md)."""

from django.urls import path

from porto.mail import tracking_views

urlpatterns = [
    path("webhooks/<str:provider>/", tracking_views.provider_webhook, name="provider_webhook"),
    path("t/<str:token>.gif", tracking_views.pixel, name="pixel"),
]
