from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from porto.hooks.events import EVENT_TYPES


class EndpointForm(forms.Form):
    """Parses only: the rules (address, events) are the service's ``endpoint_problems``."""

    url = forms.CharField(
        label=_("URL"),
        max_length=500,
        help_text=_("Porto posts each event to this address, signed with the endpoint's secret."),
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/porto-events"}),
        error_messages={"required": _("Enter the address that receives the events.")},
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=list(EVENT_TYPES.items()),  # the type itself is shown as code by the template
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event to send to this endpoint.")},
    )

    def add_service_errors(self, error: ValidationError) -> None:
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)
