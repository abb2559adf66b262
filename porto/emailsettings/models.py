"""How a company sends its email: the platform's sending or its own mailbox (SMTP).

Open tracking is never on together with Own mailbox (SMTP): ``clean()`` and ``save()`` switch
it off when the method is SMTP, and a database constraint refuses the combination for any
write that goes around the model (``update()``, raw SQL).
"""

import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.lib.crypto import EncryptedTextField
from porto.lib.headers import header_text, needs_smtputf8, parse_mailbox
from porto.lib.smtp import Security, SmtpConfig

PORT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(65535)]


class Method(models.TextChoices):
    PLATFORM = "platform", _("Platform (Porto sends for you)")
    SMTP = "smtp", _("Own mailbox (SMTP)")


class DocumentFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    UBL = "ubl", _("UBL")
    PDF_UBL = "pdf+ubl", _("PDF + UBL")


class SecurityChoice(models.TextChoices):
    STARTTLS = Security.STARTTLS.value, _("STARTTLS (usually port 587)")
    TLS = Security.TLS.value, _("TLS (usually port 465)")
    NONE = Security.NONE.value, _("None — not encrypted (not recommended)")


class ImapSecurityChoice(models.TextChoices):
    TLS = Security.TLS.value, _("TLS (usually port 993)")
    STARTTLS = Security.STARTTLS.value, _("STARTTLS (usually port 143)")
    NONE = Security.NONE.value, _("None — not encrypted (not recommended)")


HOST_NAME = re.compile(
    r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def is_host_name(value: str) -> bool:
    """A DNS name or an IP address: what a mail server's host field may hold."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(HOST_NAME.fullmatch(value))
    return True


TRACKING_UNAVAILABLE = _(
    "Not available with Own mailbox (SMTP): Porto cannot add the tracking image to email "
    "sent through your own server."
)


class EmailSettings(models.Model):
    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="email_settings")
    method = models.CharField(
        _("sending method"), max_length=10, choices=Method.choices, default=Method.PLATFORM
    )
    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        help_text=_("The name your clients see as the sender. Empty: your company name."),
    )
    reply_to = models.CharField(
        _("reply-to address"),
        max_length=254,
        blank=True,
        help_text=_("Replies from clients go here. Empty: your company's email address."),
    )
    copy_to_self = models.BooleanField(
        _("send me a copy"), default=False, help_text=_("A Bcc of every email to the sender.")
    )
    default_format = models.CharField(
        _("default format"),
        max_length=8,
        choices=DocumentFormat.choices,
        default=DocumentFormat.PDF,
        help_text=_("UBL applies to invoices and credit notes; other documents go as PDF."),
    )
    track_opens = models.BooleanField(
        _("check if the email is opened by the recipient"), default=False
    )

    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587, validators=PORT_VALIDATORS)
    smtp_security = models.CharField(
        _("SMTP security"),
        max_length=10,
        choices=SecurityChoice.choices,
        default=SecurityChoice.STARTTLS,
    )
    smtp_username = models.CharField(_("SMTP username"), max_length=254, blank=True)
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)
    smtp_from_address = models.CharField(_("from address"), max_length=254, blank=True)
    smtp_per_minute = models.PositiveIntegerField(
        _("emails per minute"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text=_(
            "At most this many emails a minute through your server (Microsoft 365 allows "
            "about 30). Emails over the limit wait; they are never failed for it."
        ),
    )

    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993, validators=PORT_VALIDATORS)
    imap_security = models.CharField(
        _("IMAP security"),
        max_length=10,
        choices=ImapSecurityChoice.choices,
        default=ImapSecurityChoice.TLS,
    )
    imap_username = models.CharField(_("IMAP username"), max_length=254, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email settings")
        verbose_name_plural = _("email settings")
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(method="smtp") & models.Q(track_opens=True)),
                name="no_open_tracking_with_smtp",
                violation_error_message=TRACKING_UNAVAILABLE,
            ),
        ]

    def __str__(self) -> str:
        return f"Email settings of {self.company}"

    @property
    def uses_smtp(self) -> bool:
        return self.method == Method.SMTP

    @property
    def reply_to_address(self) -> str:
        return self.reply_to or self.company.email

    @property
    def display_sender_name(self) -> str:
        return self.sender_name or self.company.name

    def smtp_config(self) -> SmtpConfig:
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            security=Security(self.smtp_security),
            username=self.smtp_username,
            password=self.smtp_password,
            timeout=settings.PORTO_MAIL_SMTP_TIMEOUT,
        )

    def enforce_rules(self) -> None:
        if self.uses_smtp:
            self.track_opens = False

    def clean(self) -> None:
        self.enforce_rules()
        errors: dict[str, list] = {}
        self._clean_address("reply_to", errors)
        self._clean_address("smtp_from_address", errors)
        self._clean_host("smtp_host", errors)
        self._clean_host("imap_host", errors)
        try:
            self.sender_name = header_text(self.sender_name, str(_("sender name")))
        except ValidationError as error:
            errors["sender_name"] = error.messages
        if self.uses_smtp:
            errors |= self._smtp_required_errors()
        if self.imap_host and not self.imap_username:
            errors["imap_username"] = [_("Give the IMAP username, or leave the IMAP server empty.")]
        if errors:
            raise ValidationError(errors)

    def _clean_address(self, field: str, errors: dict) -> None:
        value = getattr(self, field).strip()
        if not value:
            setattr(self, field, "")
            return
        try:
            setattr(self, field, own_address(value))
        except ValidationError as error:
            errors[field] = error.messages

    def _clean_host(self, field: str, errors: dict) -> None:
        value = getattr(self, field).strip().rstrip(".")
        setattr(self, field, value)
        if value and not is_host_name(value):
            errors[field] = [
                _(
                    "Give only the server's name, like smtp.yourprovider.be, without "
                    "“smtp://”, spaces or a port: the port has its own field."
                )
            ]

    def _smtp_required_errors(self) -> dict[str, list]:
        required = {
            "smtp_host": _("Give the SMTP server, for example smtp.yourprovider.be."),
            "smtp_from_address": _(
                "Give the address your emails are sent from; your server must allow it."
            ),
        }
        return {field: [message] for field, message in required.items() if not getattr(self, field)}

    def save(self, *args, **kwargs) -> None:
        self.enforce_rules()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "method" in update_fields:
            kwargs["update_fields"] = {*update_fields, "track_opens"}
        super().save(*args, **kwargs)


def own_address(value: str) -> str:
    """An address Porto writes on every email (reply-to, from): one bare address, with only
    ASCII before the @ so that every server on the way can carry it (no SMTPUTF8 needed)."""
    mailbox = parse_mailbox(value)
    if mailbox.name:
        raise ValidationError(
            _("Give only the address, like invoices@example.com, without a name."),
            code="email_with_name",
        )
    if needs_smtputf8(mailbox.address):
        raise ValidationError(
            _(
                "Use an address without accents or other non-ASCII letters before the @: it "
                "goes on every email you send, and not every mail server can carry it."
            ),
            code="email_smtputf8",
        )
    return mailbox.address
