"""What every input serializer of the API shares."""

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know (a typo must not be silently ignored)."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        if unknown:
            message = _("Unknown field: remove it, or check its spelling.")
            raise serializers.ValidationError(
                {name: [ErrorDetail(message, code="unknown_field")] for name in unknown}
            )
        return super().to_internal_value(data)
