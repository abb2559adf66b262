"""The two forms of Settings > Email settings.

They only collect input: the service ``email_settings_update`` validates the whole row
(model ``clean()``) and saves. ``changes()`` is what the service receives.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from porto.emailsettings.models import TRACKING_UNAVAILABLE, EmailSettings
from porto.lib import identifiers

PASSWORD_FIELDS = ("smtp_password", "imap_password")
TRACKING_EXPLAINED = _(
    "Porto adds a tiny image to the email; the email shows as Read when the recipient opens "
    "it with images shown. Many mail programs hide images, so an email can be read without "
    "showing as Read."
)


class SettingsForm(forms.ModelForm):
    def _post_clean(self) -> None:
        """Model validation happens in the service, on the whole row."""

    def changes(self) -> dict:
        return dict(self.cleaned_data)

    def add_model_errors(self, error: ValidationError) -> None:
        """Show a model ValidationError on the fields of this form (others: on top)."""
        for name, messages in error.update_error_dict({}).items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class SendingOptionsForm(SettingsForm):
    class Meta:
        model = EmailSettings
        fields = ["sender_name", "reply_to", "copy_to_self", "default_format", "track_opens"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["track_opens"]
        field.help_text = TRACKING_EXPLAINED
        if self.instance.uses_smtp:
            field.disabled = True
            field.help_text = TRACKING_UNAVAILABLE
            self.initial["track_opens"] = False

    def clean_sender_name(self) -> str:
        return identifiers.clean_sender_name(self.cleaned_data.get("sender_name", ""))


PER_MINUTE = EmailSettings._meta.get_field("smtp_per_minute")
PER_MINUTE_RANGE = _("Give a whole number of emails a minute, from 1 to 10,000.")


class SendingMethodForm(SettingsForm):
    """The sending method and the mailbox credentials: for owners only."""

    smtp_per_minute = forms.IntegerField(
        label=PER_MINUTE.verbose_name,
        help_text=PER_MINUTE.help_text,
        min_value=1,
        max_value=10_000,
        required=False,  # empty: the default, 30
        initial=PER_MINUTE.default,
        error_messages={code: PER_MINUTE_RANGE for code in ("invalid", "min_value", "max_value")},
    )

    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )

    class Meta:
        model = EmailSettings
        fields = [
            "method",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_username",
            "smtp_password",
            "smtp_from_address",
            "smtp_per_minute",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_username",
            "imap_password",
            "imap_folder",
        ]
        widgets = {"method": forms.RadioSelect}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in PASSWORD_FIELDS:
            self.initial.pop(name, None)
            if getattr(self.instance, name):
                self.fields[name].widget.attrs["placeholder"] = "••••••••"

    def clean_smtp_per_minute(self) -> int:
        value = self.cleaned_data.get("smtp_per_minute")
        return PER_MINUTE.default if value is None else value

    def changes(self) -> dict:
        """An empty password field keeps the stored password."""
        data = dict(self.cleaned_data)
        for name in PASSWORD_FIELDS:
            if not data.get(name):
                data.pop(name, None)
        return data
