"""The client form and its email addresses: parse and check what a person typed. The
identifiers are cleaned by the model (``Client.clean``), the Peppol endpoint by
``porto.clients.schemes``; saving is ``porto.clients.services.client_save``."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from porto.clients import schemes
from porto.clients.countries import COUNTRIES, country_choices
from porto.clients.models import Client, ClientEmail
from porto.clients.services import AddressChanges
from porto.lib import identifiers
from porto.lib.headers import parse_mailbox

EMPTY_EMAIL_ROWS = 3  # rows offered without JavaScript; the script adds more on demand


def peppol_scheme_choices() -> list[tuple[str, str]]:
    return [("", _("None")), *schemes.scheme_choices()]


class ClientForm(forms.ModelForm):
    country = forms.ChoiceField(
        label=gettext_lazy("Country"),
        choices=country_choices,
        error_messages={
            "required": gettext_lazy("Choose the client's country."),
            "invalid_choice": gettext_lazy("Choose the client's country from the list."),
        },
    )
    peppol_scheme = forms.ChoiceField(
        label=gettext_lazy("Peppol scheme"),
        choices=peppol_scheme_choices,
        required=False,
        help_text=gettext_lazy("The register the Peppol identifier comes from."),
        error_messages={
            "invalid_choice": gettext_lazy("Choose the Peppol scheme from the list."),
        },
    )

    class Meta:
        model = Client
        fields = [
            "kind",
            "name",
            "contact_name",
            "street",
            "street2",
            "postal_code",
            "city",
            "country",
            "vat_number",
            "kbo_number",
            "legal_id",
            "peppol_scheme",
            "peppol_id",
            "language",
        ]
        labels = {
            "kind": gettext_lazy("Kind"),
            "name": gettext_lazy("Name"),
            "contact_name": gettext_lazy("For the attention of"),
            "street": gettext_lazy("Street and number"),
            "street2": gettext_lazy("Address line 2"),
            "postal_code": gettext_lazy("Postal code"),
            "city": gettext_lazy("City"),
            "legal_id": gettext_lazy("Foreign registration number"),
            "language": gettext_lazy("Language"),
        }
        help_texts = {
            "contact_name": gettext_lazy("A person or department, shown under the name."),
            "legal_id": gettext_lazy(
                "For a client outside Belgium: its number in its country's company register."
            ),
            "language": gettext_lazy("Documents and emails for this client use this language."),
        }
        widgets = {"kind": forms.RadioSelect}
        error_messages = {
            "name": {"required": gettext_lazy("Give the client's name.")},
            "kind": {
                "required": gettext_lazy("Choose whether the client is a business or a person.")
            },
            "language": {
                "required": gettext_lazy("Choose the language of the client's documents."),
                "invalid_choice": gettext_lazy("Choose the language from the list."),
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = self.instance.country
        if saved and saved not in COUNTRIES:  # saved elsewhere (admin, API): keep it choosable
            country = cast(forms.ChoiceField, self.fields["country"])
            country.choices = [*country_choices(), (saved, saved)]

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        scheme, identifier = cleaned.get("peppol_scheme"), cleaned.get("peppol_id")
        if scheme and identifier:
            try:
                cleaned["peppol_id"] = schemes.clean_endpoint_id(scheme, identifier)
            except ValidationError as error:
                self.add_error("peppol_id", error)
                # Keep what was typed on the instance, so the model's own check ("both or
                # neither") does not add a second, wrong message to the field.
                self.instance.peppol_id = identifier
        return cleaned


class ClientEmailForm(forms.ModelForm):
    class Meta:
        model = ClientEmail
        fields = ["address", "label", "is_default"]
        labels = {
            "address": gettext_lazy("Email address"),
            "label": gettext_lazy("Label"),
            "is_default": gettext_lazy("Default"),
        }
        error_messages = {
            "address": {"required": gettext_lazy("Give the email address, or empty this row.")},
        }
        widgets = {
            # Text, not type=email: a pasted "Doe, John" <john@example.com> is one address.
            "address": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "email"}),
            "label": forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Accounting")}),
        }

    def clean_address(self) -> str:
        """A bare address, or one with its name as mail programs copy it (``"Doe, John"
        <john@example.com>``, parsed by ``porto.lib.headers``, never split at its comma):
        the address is kept, the name becomes the label when none is given."""
        address = self.cleaned_data["address"]
        if any(ch in address for ch in '<>"'):
            mailbox = parse_mailbox(address)
            self.typed_name = mailbox.name
            return mailbox.address
        try:
            return identifiers.clean_email_address(address)
        except ValidationError as error:
            raise ValidationError(
                _(
                    "%(value)s is not a valid email address: check it for a typing mistake, "
                    "like a missing @ or a space."
                )
                % {"value": address},
                code="email",
            ) from error

    def clean(self) -> dict:
        super().clean()
        cleaned = self.cleaned_data
        name = getattr(self, "typed_name", "")
        if name and not cleaned.get("label"):
            cleaned["label"] = name[: ClientEmail._meta.get_field("label").max_length]
        return cleaned

    def _post_clean(self) -> None:
        # The model's clean() checks the address again (porto.lib.identifiers): once refused
        # here, it would only add a second, less helpful message to the same row.
        if not self.has_error("address"):
            super()._post_clean()  # type: ignore[misc]  # not in django-stubs


class BaseClientEmailFormSet(BaseInlineFormSet):
    def kept_forms(self) -> list[forms.ModelForm]:
        """Rows that hold an address after this save: filled in and not removed."""
        return [
            form
            for form in self.forms
            if form not in self.deleted_forms and form.cleaned_data.get("address")
        ]

    def changes(self) -> AddressChanges:
        """What to save, once valid (porto.clients.services.client_save)."""
        return AddressChanges(
            kept=[form.instance for form in self.kept_forms()],
            removed=[form.instance for form in self.deleted_forms if form.instance.pk],
        )

    def clean(self) -> None:
        # Replaces the model formset's generic duplicate check: refuse_duplicates names the row.
        if any(self.errors):
            return
        self.refuse_duplicates()
        self.choose_one_default()

    def refuse_duplicates(self) -> None:
        seen: set[str] = set()
        for form in self.kept_forms():
            address = form.cleaned_data["address"]
            if address.casefold() in seen:
                form.add_error(
                    "address",
                    _("%(address)s is already in this list: remove one of the two rows.")
                    % {"address": address},
                )
            seen.add(address.casefold())

    def choose_one_default(self) -> None:
        kept = self.kept_forms()
        ticked = [form for form in kept if form.cleaned_data.get("is_default")]
        if len(kept) == 1 and not ticked:
            kept[0].instance.is_default = True  # a single address is the default
        elif kept and not ticked:
            raise ValidationError(
                _("Tick Default for one address: documents go there unless you choose another."),
                code="no_default",
            )
        elif len(ticked) > 1:
            raise ValidationError(
                _("Tick Default for one address only; %(count)d are ticked.")
                % {"count": len(ticked)},
                code="many_defaults",
            )


_ClientEmailFormSet = inlineformset_factory(
    Client,
    ClientEmail,
    form=ClientEmailForm,
    formset=BaseClientEmailFormSet,
    extra=EMPTY_EMAIL_ROWS,
    can_delete=True,
)


def client_email_formset(data, client: Client) -> BaseClientEmailFormSet:
    """The client's address rows (``data`` None: as saved, with empty rows to fill in)."""
    return cast(BaseClientEmailFormSet, _ClientEmailFormSet(data, instance=client, prefix="emails"))
