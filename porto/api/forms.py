"""The form of Settings > API tokens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from porto.api.models import ApiToken


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        labels = {"name": _("Name")}
        help_texts = {"name": _("What uses the token, e.g. the webshop or the accounting package.")}
        error_messages = {
            "name": {
                "required": _("Give the token a name, e.g. the software that will use it."),
                "max_length": _("Keep the name to %(limit_value)d characters."),
            }
        }
