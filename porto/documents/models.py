"""Documents (invoices, quotes, credit notes, other), their lines and number series.

A finalized document is a legal record: the model layer refuses every change to it except
the few bookkeeping fields in ``Document.MUTABLE_WHEN_FINALIZED``, whether the change comes
from a form, the admin, the API or plain ORM calls (``save``, ``update``, ``delete``).
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from porto.accounts.models import Company
from porto.clients.models import Client
from porto.documents import totals as totals_rules
from porto.lib.text import model_text_errors

MAX_QUANTITY = Decimal("1000000000")
MAX_UNIT_PRICE = Decimal("10000000000")
MAX_LINE_AMOUNT = Decimal("10000000000")
# The amount columns hold 12 digits before the decimal point.
MAX_DOCUMENT_AMOUNT = Decimal("999999999999.99")


class FinalizedDocumentError(ValidationError):
    """Raised on any attempt to change a finalized document or its lines."""

    def __init__(self, number: str = "") -> None:
        super().__init__(
            _(
                "Document %(number)s is finalized and can no longer be changed. "
                "Make a credit note to correct it."
            )
            % {"number": number or "?"},
            code="finalized",
        )


def finite_decimal(value) -> Decimal | None:
    """``value`` as a finite Decimal, or None when it is not a number at all."""
    try:
        number = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    QUOTE = "quote", _("Quote")
    OTHER = "other", _("Other document")


NUMBER_PREFIX = {
    DocumentKind.INVOICE: "",
    DocumentKind.CREDIT_NOTE: "CN-",
    DocumentKind.QUOTE: "Q-",
    DocumentKind.OTHER: "D-",
}

# Kinds that exist as UBL (Peppol BIS Billing 3.0); the others are PDF only.
UBL_KINDS = {DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE}


class VatCategory(models.TextChoices):
    STANDARD = "S", _("Standard rate")
    ZERO = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt from VAT")
    REVERSE_CHARGE = "AE", _("Reverse charge (VAT due by the customer)")
    INTRA_COMMUNITY = "K", _("Intra-community supply")
    EXPORT = "G", _("Export outside the EU")
    NOT_SUBJECT = "O", _("Not subject to VAT")


STANDARD_RATES = {Decimal("6"), Decimal("12"), Decimal("21")}
CATEGORIES_NEEDING_REASON = {"E", "AE", "K", "G", "O"}


def _refuse_if_finalized(documents: "models.QuerySet[Document]") -> None:
    """Lock the given documents' rows and raise if one of them is finalized. Call inside a
    transaction: the lock keeps a concurrent finalization from slipping in before the write."""
    rows = documents.select_related(None).select_for_update(of=("self",)).order_by()
    for status, number in rows.values_list("status", "number"):
        if status != Document.Status.DRAFT:
            raise FinalizedDocumentError(number)


class DocumentQuerySet(models.QuerySet["Document"]):
    def update(self, **kwargs):
        if not set(kwargs) - Document.MUTABLE_WHEN_FINALIZED:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(self)
            return super().update(**kwargs)

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(self)
            return super().delete()


class Document(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINALIZED = "finalized", _("Finalized")

    # The latest email's stored status (below): bookkeeping the status code keeps true.
    EMAIL_STATUS_FIELDS = frozenset(
        {
            "last_email_id",
            "last_email_at",
            "email_status",
            "email_unknown_after",
            "email_some_failed",
        }
    )
    MUTABLE_WHEN_FINALIZED = frozenset({"sent_at", "updated_at"}) | EMAIL_STATUS_FIELDS

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    title = models.CharField(
        _("title"),
        max_length=120,
        blank=True,
        help_text=_("For other documents, e.g. Delivery note."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="documents", null=True, blank=True
    )
    client_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    number = models.CharField(_("number"), max_length=32, blank=True, editable=False)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    buyer_reference = models.CharField(_("buyer reference"), max_length=100, blank=True)
    structured_communication = models.CharField(max_length=21, blank=True, editable=False)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects invoice"),
    )
    order_reference = models.CharField(_("order reference"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=500, blank=True)
    payment_iban = models.CharField(_("IBAN for payment"), max_length=42, blank=True)
    payment_bic = models.CharField(_("BIC for payment"), max_length=14, blank=True)
    delivery_date = models.DateField(_("delivery date"), null=True, blank=True)
    deliver_to_name = models.CharField(_("deliver to (name)"), max_length=200, blank=True)
    deliver_to_street = models.CharField(
        _("delivery street and number"), max_length=200, blank=True
    )
    deliver_to_street2 = models.CharField(_("delivery address line 2"), max_length=200, blank=True)
    deliver_to_postal_code = models.CharField(_("delivery postal code"), max_length=20, blank=True)
    deliver_to_city = models.CharField(_("delivery city"), max_length=100, blank=True)
    deliver_to_country = models.CharField(_("delivery country"), max_length=2, blank=True)
    # Per VAT category that charges none: {"K": {"code": "VATEX-EU-IC", "text": "..."}}.
    vat_exemptions = models.JSONField(_("VAT exemption reasons"), default=dict, blank=True)
    seller_snapshot = models.JSONField(default=dict, blank=True, editable=False)
    # Raised by every save of a draft through the editor: a stale form is refused.
    revision = models.PositiveIntegerField(default=0, editable=False)
    prepaid_amount = models.DecimalField(
        _("prepaid amount"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    total_excl_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    total_incl_vat = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finalized_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text=_("When a transport first accepted it.")
    )
    # The latest email (newest ``created_at``, then id) and what it shows, copied from the
    # email by ``porto.mail.status_store``, their only writer, so the overview's badge, filters
    # and counts read one stored value through indexes. ``email_status`` holds a
    # ``porto.mail.status.Status`` value ("" before the first email); In transit reads as
    # Unknown from ``email_unknown_after`` on, without a write. No foreign key to the email:
    # documents sit below mail.
    last_email_id = models.BigIntegerField(null=True, blank=True, editable=False)
    last_email_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_status = models.CharField(max_length=10, blank=True, default="", editable=False)
    email_unknown_after = models.DateTimeField(null=True, blank=True, editable=False)
    email_some_failed = models.BooleanField(default=False, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"],
                condition=~models.Q(number=""),
                name="document_number_unique_per_company",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "kind", "status"]),
            # The overview's default order (drafts first, then the newest issue date, then
            # id), read from the index without sorting, however deep the page.
            models.Index(fields=["company", "-issue_date", "-id"], name="document_company_issued"),
            # The API's polling order (porto/api/pagination.py).
            models.Index(fields=["company", "updated_at", "id"], name="document_company_updated"),
            # The overview: its email status filters and their counts, and its default order.
            models.Index(
                fields=["company", "email_status", "email_unknown_after"],
                name="document_email_status",
            ),
            models.Index(fields=["company", "last_email_at"], name="document_last_email"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number or _('(draft)')}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def display_title(self) -> str:
        if self.kind == DocumentKind.OTHER and self.title:
            return self.title
        return str(self.get_kind_display())

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            # Never write back a stale copy of the email status: only its writer does.
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.EMAIL_STATUS_FIELDS
            ]
        update_fields = kwargs.get("update_fields")
        if self._state.adding or (
            update_fields is not None and not set(update_fields) - self.MUTABLE_WHEN_FINALIZED
        ):
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            _refuse_if_finalized(Document.objects.filter(pk=self.pk))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_finalized(Document.objects.filter(pk=self.pk))
            return super().delete(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if self.client and self.client.company_id != self.company_id:
            errors["client"] = _("Choose one of this company's clients.")
        if self.corrects and self.corrects.company_id != self.company_id:
            errors["corrects"] = _("Choose one of this company's invoices.")
        errors |= model_text_errors(self, multi_line=["note", "payment_terms"])
        if errors:
            raise ValidationError(errors)

    def line_amounts(self) -> list[totals_rules.LineAmounts]:
        return [line.amounts() for line in self.lines.all()]

    def compute_totals(self) -> totals_rules.Totals:
        return totals_rules.compute_totals(
            self.line_amounts(),
            self.prepaid_amount,
            [adjustment.adjustment() for adjustment in self.allowance_charges.all()],
        )

    @property
    def has_delivery_address(self) -> bool:
        return bool(self.deliver_to_street or self.deliver_to_city or self.deliver_to_country)

    def exemption(self, category: str) -> dict:
        """{"code": ..., "text": ...} for a VAT category, empty values when none was given."""
        given = (self.vat_exemptions or {}).get(category) or {}
        return {"code": given.get("code", ""), "text": given.get("text", "")}


class DocumentLineQuerySet(models.QuerySet["DocumentLine"]):
    def update(self, **kwargs):
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(Document.objects.filter(pk__in=self.values("document_id")))
            return super().update(**kwargs)

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(Document.objects.filter(pk__in=self.values("document_id")))
            return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(Document.objects.filter(pk__in={o.document_id for o in objs}))
            return super().bulk_create(objs, *args, **kwargs)


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("item"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=19,
        decimal_places=4,
        validators=[MinValueValidator(-MAX_QUANTITY), MaxValueValidator(MAX_QUANTITY)],
    )
    unit_code = models.CharField(
        _("unit"), max_length=3, default="C62", help_text=_("UN/ECE code: C62 piece, HUR hour.")
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=19,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_UNIT_PRICE)],
    )
    price_base_quantity = models.DecimalField(
        _("price per"),
        max_digits=19,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(MAX_QUANTITY)],
        help_text=_("The quantity the unit price is for, e.g. 1000 for a price per thousand."),
    )
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("21")
    )

    objects = DocumentLineQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def amounts(self) -> totals_rules.LineAmounts:
        return totals_rules.LineAmounts(
            quantity=self.quantity,
            unit_price=self.unit_price,
            vat_category=self.vat_category,
            vat_rate=self.vat_rate,
            price_base_quantity=self.price_base_quantity,
            adjustments=tuple(a.adjustment() for a in self.allowance_charges.all()),
        )

    @property
    def net_amount(self) -> Decimal:
        return self.amounts().net_amount

    def clean(self) -> None:
        # Runs even when clean_fields() found a non-number: skip the checks it cannot make.
        errors: dict[str, object] = {}
        rate = finite_decimal(self.vat_rate)
        rate_problem = self._rate_problem(rate) if rate is not None else ""
        if rate_problem:
            errors["vat_rate"] = rate_problem
        if self._is_negative_zero():
            errors["quantity"] = _("Quantity 0 (typed as -0): give a quantity, or remove the line.")
        errors |= model_text_errors(self, single_line=["name"], multi_line=["description"])
        if self._amount_too_large():
            errors["quantity"] = _(
                "Quantity times unit price is more than %(max)s: check both for a typing "
                "mistake, or split the line."
            ) % {"max": f"{MAX_LINE_AMOUNT:,}"}
        if errors:
            raise ValidationError(errors)

    def _rate_problem(self, rate: Decimal) -> str:
        if self.vat_category == VatCategory.STANDARD and rate not in STANDARD_RATES:
            return _(
                "The standard VAT rate in Belgium is 6, 12 or 21 %%, not %(rate)s %%: "
                "pick one of those, or another VAT category with its reason."
            ) % {"rate": totals_rules.rate_key(rate)}
        if self.vat_category != VatCategory.STANDARD and rate != 0:
            return _(
                "VAT category %(category)s has a rate of 0 %%: set the rate to 0, or choose "
                "the standard rate."
            ) % {"category": self.get_vat_category_display()}
        return ""

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            _refuse_if_finalized(Document.objects.filter(pk__in=self._document_ids()))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_finalized(Document.objects.filter(pk__in=self._document_ids()))
            return super().delete(*args, **kwargs)

    def _is_negative_zero(self) -> bool:
        quantity = finite_decimal(self.quantity)
        return quantity is not None and quantity.is_zero() and quantity.is_signed()

    def _amount_too_large(self) -> bool:
        quantity, price = finite_decimal(self.quantity), finite_decimal(self.unit_price)
        base = finite_decimal(self.price_base_quantity) or Decimal("1")
        if quantity is None or price is None or base <= 0:
            return False
        return abs(quantity * price / base) > MAX_LINE_AMOUNT

    def _document_ids(self) -> set[int]:
        """The document this line belongs to, and the one it is stored under if it moves."""
        ids = {self.document_id}
        if not self._state.adding:
            stored = DocumentLine.objects.filter(pk=self.pk).values_list("document_id", flat=True)
            ids.update(stored)
        return ids


class AllowanceChargeQuerySet(models.QuerySet):
    """Writes refused once the document is finalized, as for lines."""

    def _documents(self):
        path: str = getattr(self.model, "DOCUMENT_PATH")  # noqa: B009 (set on each subclass)
        return Document.objects.filter(pk__in=self.values(path))

    def update(self, **kwargs):
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(self._documents())
            return super().update(**kwargs)

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(self._documents())
            return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_finalized(Document.objects.filter(pk__in={o.document_pk() for o in objs}))
            return super().bulk_create(objs, *args, **kwargs)


class AllowanceCharge(models.Model):
    """An allowance (discount) or charge: the fields a line's and a document's share."""

    position = models.PositiveIntegerField(default=0)
    is_charge = models.BooleanField(_("charge"), default=False)
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_LINE_AMOUNT)],
    )
    percentage = models.DecimalField(
        _("percentage"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    base_amount = models.DecimalField(
        _("of amount"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_LINE_AMOUNT)],
    )
    reason_code = models.CharField(_("reason code"), max_length=3, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    DOCUMENT_PATH = ""
    objects = AllowanceChargeQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        kind = _("Charge") if self.is_charge else _("Allowance")
        return f"{kind}: {self.reason or self.reason_code}"

    def document_pk(self) -> int:
        raise NotImplementedError

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            _refuse_if_finalized(Document.objects.filter(pk=self.document_pk()))
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_finalized(Document.objects.filter(pk=self.document_pk()))
            return super().delete(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, object] = {}
        if (self.amount is None) == (self.percentage is None):
            errors["amount"] = _("Give an amount or a percentage (one of the two).")
        if not self.reason_code and not self.reason.strip():
            errors["reason"] = _("Say why, for example 'Discount' or 'Transport'.")
        if errors:
            raise ValidationError(errors)

    def base_adjustment(self, **extra) -> totals_rules.Adjustment:
        return totals_rules.Adjustment(
            is_charge=self.is_charge,
            amount=self.amount,
            percentage=self.percentage,
            base=self.base_amount,
            **extra,
        )


class LineAllowanceCharge(AllowanceCharge):
    """BG-27 (allowance) or BG-28 (charge) of one line: changes the line's net amount."""

    line = models.ForeignKey(
        DocumentLine, on_delete=models.CASCADE, related_name="allowance_charges"
    )
    DOCUMENT_PATH = "line__document"

    class Meta(AllowanceCharge.Meta):
        pass

    def document_pk(self) -> int:
        return DocumentLine.objects.values_list("document_id", flat=True).get(pk=self.line_id)

    def adjustment(self) -> totals_rules.Adjustment:
        return self.base_adjustment()


class DocumentAllowanceCharge(AllowanceCharge):
    """BG-20 (allowance) or BG-21 (charge) on the whole document, in one VAT category."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="allowance_charges"
    )
    DOCUMENT_PATH = "document"
    vat_category = models.CharField(
        _("VAT category"), max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    vat_rate = models.DecimalField(
        _("VAT rate (%)"), max_digits=5, decimal_places=2, default=Decimal("21")
    )

    class Meta(AllowanceCharge.Meta):
        pass

    def document_pk(self) -> int:
        return self.document_id

    def adjustment(self) -> totals_rules.Adjustment:
        return self.base_adjustment(vat_category=self.vat_category, vat_rate=self.vat_rate)


class NumberSeries(models.Model):
    """The last number used per company, kind and year. Locked while a number is taken."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="number_series")
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    year = models.PositiveIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "year"], name="one_series_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.kind} {self.year}: {self.last_value}"


class RenderedFile(models.Model):
    """A document's file as it was produced once (render once, send the same bytes always).

    Kept apart from ``Document`` so that a finalized document stays untouched; the bytes live
    in Django storage and ``sha256`` proves they did not change since."""

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        UBL = "ubl", "UBL"
        UBL_WITH_PDF = "ubl+pdf", _("UBL with embedded PDF")

    class Validation(models.TextChoices):
        NONE = "", _("Not applicable")
        VALID = "valid", _("Valid")
        NOT_VALIDATED = "not_validated", _("Not validated")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="files")
    format = models.CharField(max_length=8, choices=Format.choices)
    file = models.FileField(upload_to="rendered/", max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    validation = models.CharField(
        max_length=16, choices=Validation.choices, default=Validation.NONE, blank=True
    )
    validation_release = models.CharField(max_length=80, blank=True)
    validation_summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "format"], name="one_file_per_format")
        ]

    def __str__(self) -> str:
        return f"{self.document} ({self.format})"


NUMBER_PREFIX_MAX_LENGTH = 10
NUMBER_PREFIX_SIGNS = "-/._"


def validate_number_prefix(prefix: str) -> None:
    """A prefix fits in a file name, a UBL ID and a bank statement: at most 10 letters A-Z,
    digits and ``- / . _``, no spaces."""
    if len(prefix) > NUMBER_PREFIX_MAX_LENGTH:
        raise ValidationError(
            _("A prefix has at most %(max)d characters; %(prefix)s has %(length)d.")
            % {"max": NUMBER_PREFIX_MAX_LENGTH, "prefix": prefix, "length": len(prefix)},
            code="prefix_too_long",
        )
    wrong = [c for c in dict.fromkeys(prefix) if not _is_prefix_character(c)]
    if wrong:
        shown = " ".join(str(_("space")) if c.isspace() else c for c in wrong)
        raise ValidationError(
            _(
                "A prefix holds only letters A to Z, digits and the signs - / . _: "
                "remove %(characters)s."
            )
            % {"characters": shown},
            code="prefix_characters",
        )


def _is_prefix_character(character: str) -> bool:
    return (character.isascii() and character.isalnum()) or character in NUMBER_PREFIX_SIGNS


class NumberFormat(models.Model):
    """The prefix a company chose for one kind of document: numbers read
    ``{prefix}{year}-{sequence:05d}``. Without a row the kind keeps ``NUMBER_PREFIX``."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="number_formats")
    kind = models.CharField(max_length=12, choices=DocumentKind.choices)
    prefix = models.CharField(
        _("prefix"),
        max_length=NUMBER_PREFIX_MAX_LENGTH,
        blank=True,
        validators=[validate_number_prefix],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "kind"], name="one_number_format_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.kind}: {self.prefix}"
