"""The tenant (Company) and who may act for it (Membership)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from porto.lib import identifiers
from porto.lib.languages import Language

LOGO_MAX_BYTES = 1024 * 1024


def validate_logo(file) -> None:
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(
            _(
                "The logo is %(size)d KB; the largest logo Porto accepts is %(max)d KB: "
                "save it smaller, for example at a lower resolution."
            )
            % {"size": -(-file.size // 1024), "max": LOGO_MAX_BYTES // 1024},
            code="logo_size",
        )


class Company(models.Model):
    name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(unique=True, max_length=60, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="BE")
    # Identifier columns leave room for the number as people type it (dots, spaces):
    # clean() stores the compact form.
    kbo_number = models.CharField(_("KBO/BCE number"), max_length=20)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    iban = models.CharField(_("IBAN"), max_length=42)
    bic = models.CharField(_("BIC"), max_length=14, blank=True)
    email = models.EmailField(_("email address"), help_text=_("Replies from clients go here."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True, validators=[validate_logo])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        for field, cleaner in [
            ("kbo_number", identifiers.clean_kbo),
            ("vat_number", identifiers.clean_vat),
            ("iban", identifiers.clean_iban),
            ("bic", identifiers.clean_bic),
        ]:
            value = getattr(self, field)
            if not value:
                continue
            try:
                setattr(self, field, cleaner(value))
            except ValidationError as error:
                errors[field] = error.messages
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_company_slug(self.name)
        super().save(*args, **kwargs)


def unique_company_slug(name: str) -> str:
    base = slugify(name)[:50] or "company"
    slug, n = base, 1
    while Company.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="one_membership_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.role})"


class LoginFailure(models.Model):
    """One failed login: counted per username and per client address within
    ``PORTO_LOGIN_WINDOW_MINUTES`` by ``porto.accounts.throttle``. Rows live in the database,
    so every web process counts the same failures."""

    username = models.CharField(_("username"), max_length=150, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True, db_index=True)
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
