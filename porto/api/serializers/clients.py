"""The clients resource: what is read (output) and what may be sent (input). The input is only
parsed here; the rules are the client form's (porto/api/clients.py)."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from porto.api.serializers.base import StrictInputSerializer
from porto.clients.forms import ClientForm
from porto.clients.models import Client, ClientEmail
from porto.lib.languages import Language


class ClientEmailOutput(serializers.ModelSerializer):
    class Meta:
        model = ClientEmail
        fields = ["id", "address", "label", "is_default"]


class ClientOutput(serializers.ModelSerializer):
    emails = ClientEmailOutput(many=True, read_only=True)

    class Meta:
        model = Client
        # The client form's fields, so the API shows what the page edits.
        fields = [
            "id",
            *ClientForm.Meta.fields,
            "emails",
            "archived_at",
            "created_at",
            "updated_at",
        ]


def text(**kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, trim_whitespace=True, **kwargs)


class ClientEmailInput(StrictInputSerializer):
    address = serializers.CharField(
        error_messages={
            "required": gettext_lazy("Give the email address, or empty this row."),
            "blank": gettext_lazy("Give the email address, or empty this row."),
        }
    )
    label = text()
    is_default = serializers.BooleanField(required=False)


class ClientInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=Client.Kind.choices, required=False)
    name = serializers.CharField(
        error_messages={
            "required": gettext_lazy("Give the client's name."),
            "blank": gettext_lazy("Give the client's name."),
        }
    )
    contact_name = text()
    street = text()
    street2 = text()
    postal_code = text()
    city = text()
    country = text(help_text="ISO 3166 code, e.g. BE (the default).")
    vat_number = text(help_text="As typed (dots and spaces allowed); stored compact.")
    kbo_number = text()
    legal_id = text()
    peppol_scheme = text(help_text="Four digits, e.g. 0208 (KBO/BCE).")
    peppol_id = text()
    language = serializers.ChoiceField(
        choices=Language.choices,
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose the language from the list.")},
    )
    emails = ClientEmailInput(
        many=True,
        required=False,
        help_text="The client's whole list of addresses (one default): an address left out "
        "is removed. Leave the field out to keep the addresses as they are.",
    )
