"""The webhook endpoints resource: what is read (output; the secret only when it is made) and
what may be sent (input). The input is only parsed here; the rules (the address, the events)
are the hooks service's ``endpoint_problems``, so the Settings page and the API say the same."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from porto.api.serializers.base import StrictInputSerializer
from porto.hooks.models import WebhookAttempt, WebhookEndpoint


class EndpointOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "event_types", "enabled", "created_at"]


class EndpointWithSecretOutput(EndpointOutput):
    secret = serializers.CharField(
        read_only=True,
        help_text="whsec_ + base64 of 32 bytes: keep it to verify the signatures. Shown only "
        "in this answer (and by rotate-secret).",
    )

    class Meta(EndpointOutput.Meta):
        fields = [*EndpointOutput.Meta.fields, "secret"]


class SecretOutput(serializers.Serializer):
    secret = serializers.CharField(help_text="The new secret; the old one signs too for 24 h.")
    previous_secret_until = serializers.DateTimeField(
        help_text="Until then every attempt carries a second signature, with the old secret."
    )


class EndpointInput(StrictInputSerializer):
    url = serializers.CharField(
        max_length=500,
        error_messages={
            "required": gettext_lazy("Enter the address that receives the events."),
            "blank": gettext_lazy("Enter the address that receives the events."),
        },
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    event_types = serializers.ListField(
        child=serializers.CharField(),
        help_text="Types of GET /api/v1/webhook-event-types/.",
        error_messages={
            "required": gettext_lazy("Choose at least one event to send to this endpoint."),
            "not_a_list": gettext_lazy("Give event_types as a list of event types."),
        },
    )
    enabled = serializers.BooleanField(
        required=False, help_text="A disabled endpoint receives nothing; its events wait."
    )


class EventTypeOutput(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField(help_text="In the request's language.")


class AttemptOutput(serializers.ModelSerializer):
    event_type = serializers.CharField(source="message.event_type")
    message_id = serializers.CharField(
        source="message.message_id", help_text="The webhook-id header: the same on every retry."
    )
    error_message = serializers.CharField(source="get_error_display")

    class Meta:
        model = WebhookAttempt
        fields = [
            "id",
            "attempted_at",
            "event_type",
            "message_id",
            "status_code",
            "error",
            "error_message",
            "detail",
            "duration_ms",
            "next_retry_at",
        ]
