"""Email texts: subject and body with placeholders, per company, document kind and language.

A company may keep several named texts per kind and language; exactly one of them is the
default (a partial unique constraint). The shipped defaults are copied in on first use and
remember where they came from (``shipped_key``) so "reset" can restore them.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.documents.models import DocumentKind
from porto.emailtexts import placeholders
from porto.lib.headers import is_header_safe
from porto.lib.languages import Language
from porto.lib.text import MAX_BODY_CHARS, clean_multi_line

SUBJECT_MAX_CHARS = 200
BODY_MAX_CHARS = MAX_BODY_CHARS  # the limit of every email's body: one home, porto.lib.text


class TextKind(models.TextChoices):
    INVOICE = DocumentKind.INVOICE.value, _("Invoice")
    CREDIT_NOTE = DocumentKind.CREDIT_NOTE.value, _("Credit note")
    QUOTE = DocumentKind.QUOTE.value, _("Quote")
    OTHER = DocumentKind.OTHER.value, _("Other document")
    REMINDER = "reminder", _("Payment reminder")


class EmailText(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="email_texts")
    kind = models.CharField(_("kind"), max_length=12, choices=TextKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX_CHARS)
    body = models.TextField(_("body"))
    is_default = models.BooleanField(_("default"), default=False)
    shipped_key = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email text")
        verbose_name_plural = _("email texts")
        ordering = ["kind", "language", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind", "language"],
                condition=models.Q(is_default=True),
                name="one_default_text_per_kind_and_language",
                violation_error_message=_(
                    "Another text is already the default for this kind and language."
                ),
            ),
            models.UniqueConstraint(
                fields=["company", "kind", "language", "name"],
                name="text_name_unique_per_kind_and_language",
                violation_error_message=_(
                    "A text with this name already exists for this kind and language."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.language})"

    def clean(self) -> None:
        errors = text_errors(self.subject, self.body)
        if errors:
            raise ValidationError(errors)


def text_errors(subject: str, body: str) -> dict[str, list[ValidationError]]:
    """Every problem of a subject and body, per field; empty when both can be rendered."""
    errors: dict[str, list[ValidationError]] = {}
    for field, value, limit in (
        ("subject", subject, SUBJECT_MAX_CHARS),
        ("body", body, BODY_MAX_CHARS),
    ):
        problems = field_problems(field, value or "", limit)
        if problems:
            errors[field] = problems
    return errors


def field_problems(field: str, value: str, limit: int) -> list[ValidationError]:
    if len(value) > limit:
        return [
            ValidationError(
                _(
                    "This text is %(length)s characters long; the limit is %(limit)s. "
                    "Shorten it: the document itself goes as an attachment."
                )
                % {"length": f"{len(value):,}", "limit": f"{limit:,}"},
                code="too_long",
            )
        ]
    problems = []
    if field == "subject" and ("\n" in value or "\r" in value):
        problems.append(
            ValidationError(_("The subject must be on one line."), code="subject_line_break")
        )
    elif field == "subject" and not is_header_safe(value):
        problems.append(
            ValidationError(
                _(
                    "The subject contains a control character, or an encoded word (“=?…?=”) "
                    "that hides one: write it as plain text on one line."
                ),
                code="header_injection",
            )
        )
    elif field == "body":
        try:
            clean_multi_line(value, str(_("body")))
        except ValidationError as error:
            problems.extend(error.error_list)
    try:
        placeholders.check(value)
    except ValidationError as error:
        problems.extend(error.error_list)
    return problems
