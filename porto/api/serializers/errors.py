"""The error shape (porto/api/errors.py) described for the OpenAPI schema."""

from rest_framework import serializers


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable: branch on it.")
    message = serializers.CharField(help_text="In the request's language (Accept-Language).")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Per field (nested fields joined with dots: emails.0.address).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
