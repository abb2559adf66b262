"""The forms of the company pages: the profile and the number series.

They only collect input: the services (``company_profile_update``, ``number_series_update``)
validate the whole row and save; ``add_service_errors`` puts their errors next to the fields.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import FileExtensionValidator
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company, validate_logo
from porto.accounts.services import PROFILE_FIELDS
from porto.documents.models import (
    NUMBER_PREFIX_MAX_LENGTH,
    DocumentKind,
    validate_number_prefix,
)
from porto.documents.numbering import (
    KIND_PLURAL,
    SeriesChange,
    number_text,
    validate_next_number,
)
from porto.documents.rendering.pdf import LOGO_FORMATS, LOGO_MAX_PIXELS
from porto.lib.identifiers import format_iban, format_kbo

LOGO_EXTENSIONS = ["png", "jpg", "jpeg", "gif", "webp"]
NOT_AN_IMAGE = _("The logo must be an image in PNG, JPEG, GIF or WebP; this file is not one.")
REQUIRED = {
    "name": _("Fill in the company's legal name."),
    "street": _("Fill in the street and number."),
    "postal_code": _("Fill in the postal code."),
    "city": _("Fill in the city."),
    "country": _("Fill in the country as its two-letter code, like BE."),
    "kbo_number": _("Fill in the KBO/BCE number, like 0123.456.749."),
    "iban": _("Fill in the IBAN of the account your clients pay into."),
    "email": _("Fill in the email address where replies from clients should go."),
}
NEXT_SENTENCE = {
    DocumentKind.INVOICE: _("Next invoice: %(number)s"),
    DocumentKind.CREDIT_NOTE: _("Next credit note: %(number)s"),
    DocumentKind.QUOTE: _("Next quote: %(number)s"),
    DocumentKind.OTHER: _("Next other document: %(number)s"),
}


class ServiceForm(forms.Form):
    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError on this form's fields (others: on top)."""
        for name, messages in error.update_error_dict({}).items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


LOGO_EXTENSION = FileExtensionValidator(
    LOGO_EXTENSIONS,
    message=_(
        "The logo must be a PNG, JPEG, GIF or WebP file; %(extension)s files are not accepted."
    ),
)


def validate_logo_upload(upload) -> None:
    """One message, for the first problem: the file's name, the image inside it (the name
    alone proves nothing), its pixels, its size."""
    LOGO_EXTENSION(upload)
    image = upload.image  # set by ImageField.to_python
    if image.format not in LOGO_FORMATS:
        raise ValidationError(NOT_AN_IMAGE, code="invalid_image")
    if image.width * image.height > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo has too many pixels: upload a logo of at most 5000 by 5000 pixels."),
            code="logo_pixels",
        )
    validate_logo(upload)


class LogoField(forms.ImageField):
    """An image Porto can put in a PDF: PNG, JPEG, GIF or WebP, within the size limits."""

    default_validators = [validate_logo_upload]
    default_error_messages = {"invalid_image": NOT_AN_IMAGE}


class CompanyProfileForm(ServiceForm, forms.ModelForm):
    logo = LogoField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    country = forms.CharField(label=_("Country"), help_text=_("Two letters, like BE, NL or FR."))

    class Meta:
        model = Company
        fields = [*PROFILE_FIELDS, "logo"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, message in REQUIRED.items():
            self.fields[name].error_messages["required"] = message
        self.fields["email"].help_text = _(
            "On every document, and where replies from clients go unless Email settings name "
            "another reply-to address."
        )
        # Shown as people write them; stored compact by Company.clean().
        if self.instance.kbo_number and len(self.instance.kbo_number) == 10:
            self.initial["kbo_number"] = format_kbo(self.instance.kbo_number)
        if self.instance.iban:
            self.initial["iban"] = format_iban(self.instance.iban)
        if self.instance.logo:
            self.fields["logo"].label = _("Replace the logo")
        self.fields["logo"].help_text = _(
            "PNG, JPEG, GIF or WebP, at most 1 MB. It is printed on every PDF."
        )

    def _post_clean(self) -> None:
        """The whole row is validated by the service."""

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if len(country) != 2 or not (country.isascii() and country.isalpha()):
            raise ValidationError(
                _("Write the country as its two-letter code, like BE or NL."), code="country"
            )
        return country

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROFILE_FIELDS}

    def new_logo(self) -> UploadedFile | None:
        """The uploaded file; without an upload the field gives back the stored logo."""
        logo = self.cleaned_data.get("logo")
        return logo if isinstance(logo, UploadedFile) else None


class NumberSeriesForm(ServiceForm):
    """Per kind: the prefix and the next number of ``year``. A next number the person did not
    touch is kept as it is when saving, even if a finalization moved it meanwhile."""

    def __init__(self, *args, prefixes: dict[str, str], next_numbers: dict[str, int], year: int,
                 **kwargs) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.year = year
        for kind in DocumentKind:
            self.fields[f"{kind}_prefix"] = forms.CharField(
                label=_("Prefix"),
                required=False,
                initial=prefixes[kind],
                validators=[validate_number_prefix],
                widget=forms.TextInput(
                    attrs={
                        "maxlength": NUMBER_PREFIX_MAX_LENGTH,
                        "autocomplete": "off",
                        "data-prefix": kind,
                    }
                ),
            )
            self.fields[f"{kind}_next_number"] = forms.IntegerField(
                label=_("Next number"),
                initial=next_numbers[kind],
                show_hidden_initial=True,
                validators=[validate_next_number],
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "off", "data-next": kind}
                ),
                error_messages={
                    "required": _("Fill in the next number, for example 1."),
                    "invalid": _("The next number is a whole number, like 153."),
                },
            )

    def changes(self) -> dict[str, SeriesChange]:
        changed = set(self.changed_data)
        return {
            kind: SeriesChange(
                prefix=self.cleaned_data[f"{kind}_prefix"],
                next_number=(
                    self.cleaned_data[f"{kind}_next_number"]
                    if f"{kind}_next_number" in changed
                    else None
                ),
            )
            for kind in DocumentKind
        }

    def rows(self) -> list[dict]:
        return [
            {
                "kind": kind,
                "title": KIND_PLURAL[kind],
                "prefix": self[f"{kind}_prefix"],
                "next_number": self[f"{kind}_next_number"],
                "example": self._example(kind),
            }
            for kind in DocumentKind
        ]

    def _example(self, kind: str) -> SafeString:
        """ "Next invoice: F2026-00153", the number in an <output> the page's script updates."""
        prefix = self[f"{kind}_prefix"].value() or ""
        number = self[f"{kind}_next_number"].value()
        try:
            text = number_text(prefix, self.year, int(number))
        except (TypeError, ValueError):
            text = ""
        output = format_html(
            '<output data-example-for="{}" aria-live="polite">{}</output>', kind, text
        )
        before, _marker, after = str(NEXT_SENTENCE[DocumentKind(kind)]).partition("%(number)s")
        return format_html("{}{}{}", before, output, after)
