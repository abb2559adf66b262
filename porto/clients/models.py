"""A company's clients and the addresses its documents are sent to."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.lib import identifiers
from porto.lib.languages import Language
from porto.lib.search import search_key
from porto.lib.text import model_text_errors

# The client's text fields: each one line of plain text (porto.lib.text).
SINGLE_LINE_FIELDS = ("name", "contact_name", "street", "street2", "postal_code", "city")


class Client(models.Model):
    class Kind(models.TextChoices):
        BUSINESS = "business", _("Business")
        PERSON = "person", _("Person")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="clients")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BUSINESS)
    name = models.CharField(_("name"), max_length=200)
    contact_name = models.CharField(_("for the attention of"), max_length=200, blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    street2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BE")
    # Room for the number as people type it (dots, spaces): clean() stores the compact form.
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    kbo_number = models.CharField(_("KBO/BCE number"), max_length=20, blank=True)
    legal_id = models.CharField(
        _("company registration number"),
        max_length=50,
        blank=True,
        help_text=_("For a client outside Belgium: its number in its country's register."),
    )
    peppol_scheme = models.CharField(
        _("Peppol scheme"), max_length=4, blank=True, help_text=_("For example 0208 (KBO/BCE).")
    )
    peppol_id = models.CharField(_("Peppol identifier"), max_length=50, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    # name and contact without accents or case, for search (porto.lib.search).
    search_name = models.CharField(max_length=401, blank=True, editable=False)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Every save moves it (also a partial one, see save()): the API's updated_since and cursor.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["company", "name"]),
            models.Index(fields=["company", "updated_at", "id"], name="client_updated"),
        ]

    def save(self, *args, **kwargs) -> None:
        self.search_name = search_key(f"{self.name} {self.contact_name}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            derived = {"search_name"} if {"name", "contact_name"} & set(update_fields) else set()
            kwargs["update_fields"] = {*update_fields, *derived, "updated_at"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for field, cleaner in [
            ("vat_number", identifiers.clean_vat),
            ("kbo_number", identifiers.clean_kbo),
        ]:
            value = getattr(self, field)
            if value:
                try:
                    setattr(self, field, cleaner(value))
                except ValidationError as error:
                    errors[field] = error.messages
        errors |= model_text_errors(self, single_line=SINGLE_LINE_FIELDS)
        if bool(self.peppol_scheme) != bool(self.peppol_id):
            errors["peppol_id"] = [_("Give both the Peppol scheme and the identifier, or neither.")]
        if self.peppol_scheme and not (
            len(self.peppol_scheme) == 4 and self.peppol_scheme.isdigit()
        ):
            errors["peppol_scheme"] = [_("A Peppol scheme is four digits, like 0208.")]
        if errors:
            raise ValidationError(errors)

    @property
    def default_email(self) -> "ClientEmail | None":
        return next((e for e in self.emails.all() if e.is_default), None)


class ClientEmail(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="emails")
    address = models.CharField(_("email address"), max_length=254)
    label = models.CharField(_("label"), max_length=60, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "address"],
                name="client_address_once",
                violation_error_message=_("This client already has this address."),
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(is_default=True),
                name="one_default_address_per_client",
                violation_error_message=_(
                    "This client already has a default address: untick 'default' there "
                    "first, or save this one as an extra address."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def clean(self) -> None:
        try:
            self.address = identifiers.clean_email_address(self.address)
        except ValidationError as error:
            raise ValidationError({"address": error.messages}) from error
