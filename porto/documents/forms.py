"""The document editor's forms: the document's fields, its lines (a formset; each line carries a
fixed number of allowance/charge rows) and its document-level allowances and charges (a second
formset). They parse and check what a person typed; ``porto.documents.drafts`` stores it.

Numbers are typed the way the UI language writes them: ``1.234,56`` or ``12,5`` in Dutch and
French, ``1,234.56`` in English; a lone other mark that cannot be a thousands separator
(``12.5`` in Dutch) is read as the decimal mark too.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.clients.models import Client
from porto.clients.selectors import clients_for_new_documents
from porto.documents import totals as totals_rules
from porto.documents.codes import (
    ALLOWANCE_REASONS,
    CHARGE_REASONS,
    UNITS,
    VATEX_FOR_CATEGORY,
    vatex_choices,
)
from porto.documents.drafts import LineDraft, default_vat
from porto.documents.models import (
    CATEGORIES_NEEDING_REASON,
    MAX_DOCUMENT_AMOUNT,
    MAX_LINE_AMOUNT,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    AllowanceCharge,
    Document,
    DocumentAllowanceCharge,
    DocumentKind,
    DocumentLine,
    LineAllowanceCharge,
    VatCategory,
)
from porto.lib.identifiers import clean_bic, clean_iban

LINE_ALLOWANCE_ROWS = 2
SPACES = " \u00a0\u202f"
RATE_CHOICES = [("21", "21 %"), ("12", "12 %"), ("6", "6 %"), ("0", "0 %")]


def decimal_mark(language: str | None = None) -> str:
    return "." if (language or get_language() or "en").startswith("en") else ","


def parse_typed_number(text: str, language: str | None = None) -> Decimal | None:
    """A number as a person typed it in ``language``; None when it is not one."""
    mark = decimal_mark(language)
    group = "," if mark == "." else "."
    body = "".join(ch for ch in str(text) if ch not in SPACES)
    sign = ""
    if body[:1] in "+-":
        sign, body = body[:1].replace("+", ""), body[1:]
    grouped = re.fullmatch(
        rf"(\d{{1,3}}(?:{re.escape(group)}\d{{3}})+|\d+)(?:{re.escape(mark)}(\d+))?", body
    )
    if grouped:
        whole, decimals = grouped.group(1).replace(group, ""), grouped.group(2) or "0"
    else:
        # A single other mark not followed by exactly three digits is no thousands separator.
        other = re.fullmatch(rf"(\d*){re.escape(group)}(\d{{1,2}}|\d{{4,}})", body)
        if not other:
            return None
        whole, decimals = other.group(1) or "0", other.group(2)
    try:
        return Decimal(f"{sign}{whole}.{decimals}")
    except InvalidOperation:
        return None


def format_typed_number(value: Decimal, language: str | None = None, places: int = 0) -> str:
    """``value`` as the editor shows it for typing: no thousands separators, at least
    ``places`` decimals, no trailing zeros beyond them."""
    text = f"{value.normalize():f}"
    if "." in text:
        whole, decimals = text.split(".")
    else:
        whole, decimals = text, ""
    decimals = decimals.ljust(places, "0")
    return whole + (decimal_mark(language) + decimals if decimals else "")


def _named(field_label, message) -> str:
    return str(message).replace("%(field)s", str(field_label).replace("%", "%%"))


# A message that names the field, leaving Django's own placeholders; worded when it is shown,
# in the language of that moment.
named = lazy(_named, str)


def _invalid_number(field_label) -> str:
    example = "12,5" if decimal_mark() == "," else "12.5"
    message = _("%(field)s: write a number, for example %(example)s.")
    return _named(field_label, message).replace("%(example)s", example)


invalid_number = lazy(_invalid_number, str)


def name_the_field(form: forms.BaseForm) -> None:
    """Django's own messages (too long, not one of the choices, not a date) with the field's
    name in front and the fix after it."""
    for field in form.fields.values():
        if getattr(field, "max_length", None):
            field.error_messages["max_length"] = named(
                field.label,
                gettext_lazy("%(field)s: at most %(limit_value)d characters (now %(show_value)d)."),
            )
        if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            field.error_messages["invalid_choice"] = named(
                field.label, gettext_lazy("%(field)s: choose one of the options offered.")
            )
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = named(
                field.label, gettext_lazy("%(field)s: choose a date in the calendar.")
            )


class TypedDecimalField(forms.DecimalField):
    """A decimal typed in the UI language, with messages that name the field and the fix."""

    def __init__(self, *, label, places_shown: int = 0, min_message=None, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(label=label, **kwargs)
        self.places_shown = places_shown
        messages = {
            "required": gettext_lazy("%(field)s: fill this in."),
            "max_decimal_places": gettext_lazy("%(field)s: use at most %(max)s decimals."),
            "max_digits": gettext_lazy("%(field)s is too large: check it for a typing mistake."),
            "max_whole_digits": gettext_lazy(
                "%(field)s is too large: check it for a typing mistake."
            ),
            "min_value": min_message
            or gettext_lazy("%(field)s: must be at least %(limit_value)s."),
            "max_value": gettext_lazy(
                "%(field)s: must be at most %(limit_value)s: check it for a typing mistake."
            ),
        }
        self.error_messages.update({code: named(label, msg) for code, msg in messages.items()})
        self.error_messages["invalid"] = invalid_number(label)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        number = parse_typed_number(str(value))
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_typed_number(value, places=self.places_shown)
        return value


def clients_to_choose(company: Company, current: Client | None) -> QuerySet[Client]:
    """The company's active clients, and the draft's own client even if it was archived."""
    active = clients_for_new_documents(company)
    if current is not None:
        active = active | Client.objects.filter(pk=current.pk, company=company)
    return active.order_by("name")


def reason_choices() -> list:
    return [
        ("", "—"),
        (_("Allowance"), [(code, str(name)) for code, name in ALLOWANCE_REASONS.items()]),
        (_("Charge"), [(code, str(name)) for code, name in CHARGE_REASONS.items()]),
    ]


ALLOWANCE_KIND_CHOICES = [
    ("0", pgettext_lazy("allowance or charge", "Allowance")),
    ("1", pgettext_lazy("allowance or charge", "Charge")),
]


class AllowanceChargeFields(forms.Form):
    """A line's allowance or charge; the fields a document's shares."""

    MODEL: type[AllowanceCharge] = LineAllowanceCharge
    TYPED: tuple[str, ...] = ("amount", "percentage", "reason_code", "reason")

    is_charge = forms.TypedChoiceField(
        label=gettext_lazy("Allowance or charge"),
        choices=ALLOWANCE_KIND_CHOICES,
        coerce=lambda value: value == "1",
        initial="0",
    )
    amount = TypedDecimalField(
        label=gettext_lazy("Amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_LINE_AMOUNT,
        places_shown=2,
    )
    percentage = TypedDecimalField(
        label=gettext_lazy("Percentage"),
        required=False,
        max_digits=7,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
    )
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Reason code"), choices=reason_choices, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_permitted", True)
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        name_the_field(self)

    def has_changed(self) -> bool:
        return holds_typing(self, self.TYPED)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("reason_code"):
            codes = CHARGE_REASONS if data.get("is_charge") else ALLOWANCE_REASONS
            if data["reason_code"] not in codes:
                self.add_error(
                    "reason_code",
                    _("Reason code: choose a reason of the kind chosen (allowance or charge)."),
                )
        if not self.errors:
            self._model_checks(data)
        return data

    def _model_checks(self, data: dict) -> None:
        row = self.MODEL(**self.values(data))
        try:
            row.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)

    def values(self, data: dict | None = None) -> dict:
        data = self.cleaned_data if data is None else data
        return {name: data.get(name) for name in self.base_fields}

    def adjustment(self) -> totals_rules.Adjustment:
        data = self.cleaned_data
        return totals_rules.Adjustment(
            is_charge=data["is_charge"],
            amount=data.get("amount"),
            percentage=data.get("percentage"),
            base=data.get("base_amount"),
            vat_category=data.get("vat_category") or "",
            vat_rate=data.get("vat_rate") or Decimal("0"),
        )


def vat_category_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=gettext_lazy("VAT category"), choices=VatCategory, initial="S")


def vat_rate_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=gettext_lazy("VAT rate"), choices=RATE_CHOICES, coerce=Decimal, initial="21"
    )


def set_default_vat(form: forms.Form, default_vat: tuple[str, Decimal]) -> None:
    """The VAT category and rate a new line or document allowance starts with."""
    form.fields["vat_category"].initial = default_vat[0]
    form.fields["vat_rate"].initial = str(totals_rules.rate_key(default_vat[1]))


class DocumentAllowanceForm(AllowanceChargeFields):
    MODEL = DocumentAllowanceCharge
    TYPED = (*AllowanceChargeFields.TYPED, "base_amount")
    base_amount = TypedDecimalField(
        label=gettext_lazy("Of amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_LINE_AMOUNT,
        places_shown=2,
        help_text=gettext_lazy("Empty: the lines of this VAT category and rate."),
    )
    vat_category = vat_category_field()
    vat_rate = vat_rate_field()

    def __init__(self, *args, default_vat=("S", Decimal("21")), **kwargs):
        super().__init__(*args, **kwargs)
        set_default_vat(self, default_vat)

    def _model_checks(self, data: dict) -> None:
        super()._model_checks(data)
        # The rate rule is a line's (DocumentLine.clean): an allowance in a category is held
        # to the same rates.
        same_rates = DocumentLine(
            name="-",
            quantity=0,
            unit_price=0,
            vat_category=data["vat_category"],
            vat_rate=data["vat_rate"],
        )
        try:
            same_rates.clean()
        except ValidationError as error:
            for message in error.message_dict.get("vat_rate", []):
                self.add_error("vat_rate", message)


class LineForm(forms.Form):
    TYPED = ("name", "description", "quantity", "unit_price")
    name = forms.CharField(
        label=gettext_lazy("Item"),
        max_length=500,
        error_messages={"required": gettext_lazy("Item: name what you sell.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    quantity = TypedDecimalField(
        label=gettext_lazy("Quantity"),
        max_digits=13,
        decimal_places=3,
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
    )
    unit_code = forms.ChoiceField(
        label=gettext_lazy("Unit"), choices=list(UNITS.items()), initial="C62"
    )
    unit_price = TypedDecimalField(
        label=gettext_lazy("Unit price"),
        max_digits=15,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=MAX_UNIT_PRICE,
        places_shown=2,
        min_message=gettext_lazy(
            "%(field)s cannot be negative: for a return use a negative quantity, for a "
            "discount an allowance."
        ),
    )
    price_base_quantity = TypedDecimalField(
        label=gettext_lazy("Price per"),
        max_digits=13,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=MAX_QUANTITY,
        initial=Decimal("1"),
        help_text=gettext_lazy("The quantity the unit price is for, e.g. 1000."),
    )
    vat_category = vat_category_field()
    vat_rate = vat_rate_field()

    def __init__(self, *args, default_vat=("S", Decimal("21")), **kwargs):
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        name_the_field(self)
        set_default_vat(self, default_vat)
        initial_rows = self.initial.get("allowances", [])
        self.allowance_forms = [
            AllowanceChargeFields(
                self.data if self.is_bound else None,
                prefix=f"{self.prefix}-ac{index}",
                initial=initial_rows[index] if index < len(initial_rows) else None,
            )
            for index in range(LINE_ALLOWANCE_ROWS)
        ]

    def allowances_open(self) -> bool:
        """Whether the line's allowance rows start unfolded: when one holds something."""
        if self.is_bound:
            return bool(self.filled_allowances())
        return bool(self.initial.get("allowances"))

    def filled_allowances(self) -> list[AllowanceChargeFields]:
        return [form for form in self.allowance_forms if form.has_changed()]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return all([valid, *(form.is_valid() for form in self.filled_allowances())])

    def has_changed(self) -> bool:
        return holds_typing(self, self.TYPED) or bool(self.filled_allowances())

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not self.errors:
            line = DocumentLine(**self.line_fields(data))
            try:
                line.clean()
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(name, message)
        return data

    def line_fields(self, data: dict | None = None) -> dict:
        data = self.cleaned_data if data is None else data
        return {name: data.get(name) for name in self.base_fields if name in data}

    def draft(self) -> LineDraft:
        return LineDraft(
            fields=self.line_fields(),
            allowances=[form.values() for form in self.filled_allowances()],
        )

    def amounts(self) -> totals_rules.LineAmounts:
        data = self.cleaned_data
        return totals_rules.LineAmounts(
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            vat_category=data["vat_category"],
            vat_rate=data["vat_rate"],
            price_base_quantity=data["price_base_quantity"],
            adjustments=tuple(form.adjustment() for form in self.filled_allowances()),
        )

    def all_errors(self) -> list[str]:
        found = [str(message) for messages in self.errors.values() for message in messages]
        for form in self.filled_allowances():
            found += [str(message) for messages in form.errors.values() for message in messages]
        return found


def holds_typing(form: forms.Form, typed: tuple[str, ...]) -> bool:
    """Whether a row holds something a person typed. The preset choices (unit, VAT, kind),
    position and Remove box do not count, so an untouched row is skipped, never refused."""
    return any(str(form[name].value() or "").strip() for name in typed)


def _position(form: forms.Form) -> int:
    value = str(form["ORDER"].value() or "")
    return int(value) if value.isdigit() else 10**6


class OrderedFormSet(forms.BaseFormSet):
    """The rows in the order the person put them (``ORDER``), removed ones left out, rows
    left empty ignored."""

    def initial_form_count(self) -> int:
        # Every posted row is new to the server (a save replaces them all): an empty one is
        # skipped instead of refused.
        return 0 if self.is_bound else super().initial_form_count()

    def kept_forms(self) -> list:
        kept = [
            (form.cleaned_data.get("ORDER") or index + 1, index, form)
            for index, form in enumerate(self.forms)
            if form.has_changed() and not form.cleaned_data.get("DELETE")
        ]
        return [form for _order, _index, form in sorted(kept, key=lambda row: row[:2])]

    def rows(self) -> list:
        """The rows on screen in their order: all but those marked Remove (readable before
        validation)."""
        shown = [form for form in self.forms if not form["DELETE"].value()]
        if not self.can_order:
            return shown
        return sorted(shown, key=lambda form: (_position(form), shown.index(form)))


# One empty row of each at the end, so that a person without JavaScript can add one.
LineFormSet = cast(
    type[OrderedFormSet],
    forms.formset_factory(
        LineForm, formset=OrderedFormSet, extra=1, can_order=True, can_delete=True
    ),
)
AllowanceFormSet = cast(
    type[OrderedFormSet],
    forms.formset_factory(DocumentAllowanceForm, formset=OrderedFormSet, extra=1, can_delete=True),
)

DOCUMENT_FIELDS = [
    "client",
    "title",
    "corrects",
    "issue_date",
    "due_date",
    "buyer_reference",
    "order_reference",
    "note",
    "payment_terms",
    "payment_iban",
    "payment_bic",
    "prepaid_amount",
    "delivery_date",
    "deliver_to_name",
    "deliver_to_street",
    "deliver_to_street2",
    "deliver_to_postal_code",
    "deliver_to_city",
    "deliver_to_country",
]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DocumentForm(forms.ModelForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    # Longer than the stored two letters, so that "Belgium" gets the message that helps.
    deliver_to_country = forms.CharField(
        label=gettext_lazy("Delivery country"), max_length=60, required=False
    )
    prepaid_amount = TypedDecimalField(
        label=gettext_lazy("Prepaid amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_DOCUMENT_AMOUNT,
        places_shown=2,
    )

    class Meta:
        model = Document
        fields = DOCUMENT_FIELDS
        widgets = {
            "issue_date": DATE_INPUT,
            "due_date": DATE_INPUT,
            "delivery_date": DATE_INPUT,
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"client": gettext_lazy("Client")}  # the model field has no translated name
        help_texts = {
            "issue_date": gettext_lazy("Empty: the day you finalize."),
            "due_date": gettext_lazy("Optional."),
        }

    def __init__(self, *args, document: Document, **kwargs):
        kwargs.setdefault("use_required_attribute", False)
        kwargs.setdefault("initial", {}).setdefault("revision", document.revision)
        kwargs["instance"] = document
        super().__init__(*args, **kwargs)
        client_field = cast(forms.ModelChoiceField, self.fields["client"])
        client_field.queryset = clients_to_choose(document.company, document.client)
        corrects_field = cast(forms.ModelChoiceField, self.fields["corrects"])
        corrects_field.queryset = Document.objects.filter(
            company=document.company,
            kind=DocumentKind.INVOICE,
            status=Document.Status.FINALIZED,
        ).order_by("-number")
        if document.kind != DocumentKind.CREDIT_NOTE:
            del self.fields["corrects"]
        if document.kind != DocumentKind.OTHER:
            del self.fields["title"]
        self._add_exemption_fields(document)
        name_the_field(self)

    def _add_exemption_fields(self, document: Document) -> None:
        for category in sorted(CATEGORIES_NEEDING_REASON):
            given = document.exemption(category)
            self.fields[f"exemption_{category}_code"] = forms.ChoiceField(
                label=_("Exemption reason"),
                choices=[("", "—"), *vatex_choices(category)],
                required=False,
                initial=given["code"] or VATEX_FOR_CATEGORY.get(category, ""),
            )
            self.fields[f"exemption_{category}_text"] = forms.CharField(
                label=_("Text on the document"),
                max_length=300,
                required=False,
                initial=given["text"],
            )

    def exemption_rows(self) -> list[tuple[str, str, forms.BoundField, forms.BoundField]]:
        return [
            (
                category,
                str(VatCategory(category).label),
                self[f"exemption_{category}_code"],
                self[f"exemption_{category}_text"],
            )
            for category in sorted(CATEGORIES_NEEDING_REASON)
        ]

    def clean_payment_iban(self) -> str:
        value = self.cleaned_data["payment_iban"]
        return clean_iban(value) if value.strip() else ""

    def clean_payment_bic(self) -> str:
        value = self.cleaned_data["payment_bic"]
        return clean_bic(value) if value.strip() else ""

    def clean_deliver_to_country(self) -> str:
        value = self.cleaned_data["deliver_to_country"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise ValidationError(
                _("Delivery country: write the two-letter country code, for example BE or FR.")
            )
        return value

    def clean_prepaid_amount(self) -> Decimal:
        return self.cleaned_data["prepaid_amount"] or Decimal("0.00")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        issued, due = data.get("issue_date"), data.get("due_date")
        if issued and due and due < issued:
            self.add_error("due_date", _("Due date: choose a day on or after the issue date."))
        return data

    def _post_clean(self):
        # The editor stores through porto.documents.drafts, which validates the model there;
        # here only the parsed values are needed, not a second model validation.
        pass

    def vat_exemptions(self) -> dict:
        exemptions = {}
        for category in sorted(CATEGORIES_NEEDING_REASON):
            code = self.cleaned_data.get(f"exemption_{category}_code", "")
            text = self.cleaned_data.get(f"exemption_{category}_text", "").strip()
            if code or text:
                exemptions[category] = {"code": code, "text": text}
        return exemptions

    def document_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in DOCUMENT_FIELDS if name in self.fields}
        fields["vat_exemptions"] = self.vat_exemptions()
        return fields


def mark_invalid_fields(form: forms.BaseForm) -> None:
    """A screen reader hears the message of a refused field when it reaches the field."""
    if not form.is_bound:
        return
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs.update(
                {"aria-invalid": "true", "aria-describedby": f"{form[name].auto_id}-error"}
            )


class DocumentEditor:
    """The editor's three forms, bound together."""

    def __init__(self, document: Document, data=None):
        self.document = document
        self.form = DocumentForm(data, document=document)
        self.lines: OrderedFormSet = LineFormSet(
            data,
            prefix="lines",
            initial=None if data else line_rows(document),
            form_kwargs={"default_vat": default_vat(document.company, document.client)},
        )
        self.allowances: OrderedFormSet = AllowanceFormSet(
            data,
            prefix="allowances",
            initial=None if data else allowance_rows(document),
            form_kwargs={"default_vat": default_vat(document.company, document.client)},
        )
        self.problems: list[str] = []

    def is_valid(self) -> bool:
        valid = all([self.form.is_valid(), self.lines.is_valid(), self.allowances.is_valid()])
        for form in self._all_forms():
            mark_invalid_fields(form)
        return valid

    def _all_forms(self) -> list[forms.BaseForm]:
        found: list[forms.BaseForm] = [self.form, *self.allowances.forms]
        for line in self.lines.forms:
            found += [line, *line.allowance_forms]
        return found

    def draft_input(self) -> tuple[dict, list[LineDraft], list[dict], int]:
        return (
            self.form.document_fields(),
            [form.draft() for form in self.lines.kept_forms()],
            [form.values() for form in self.allowances.kept_forms()],
            self.form.cleaned_data["revision"],
        )

    def add_problems(self, error: ValidationError) -> None:
        self.problems.extend(error.messages)

    def line_errors(self) -> list[str]:
        """Every line's problems with its number, as the summary above the form lists them."""
        found = []
        for number, form in enumerate(self.lines.rows(), start=1):
            for message in form.all_errors():
                found.append(_("Line %(n)d: %(message)s") % {"n": number, "message": message})
        for number, form in enumerate(self.allowances.rows(), start=1):
            for messages in form.errors.values():
                for message in messages:
                    found.append(
                        _("Allowance or charge %(n)d: %(message)s")
                        % {"n": number, "message": message}
                    )
        return found


def line_rows(document: Document) -> list[dict]:
    """The initial values of the line rows: the stored lines (an empty row follows)."""
    if document.pk is None:
        return []
    rows = []
    for index, line in enumerate(document.lines.all(), start=1):
        row = {name: getattr(line, name) for name in LineForm.base_fields}
        row["vat_rate"] = str(totals_rules.rate_key(line.vat_rate))
        row["ORDER"] = index
        row["allowances"] = [
            {name: getattr(a, name) for name in AllowanceChargeFields.base_fields}
            | {"is_charge": "1" if a.is_charge else "0"}
            for a in line.allowance_charges.all()
        ]
        rows.append(row)
    return rows


def allowance_rows(document: Document) -> list[dict]:
    if document.pk is None:
        return []
    return [
        {name: getattr(a, name) for name in DocumentAllowanceForm.base_fields}
        | {
            "is_charge": "1" if a.is_charge else "0",
            "vat_rate": str(totals_rules.rate_key(a.vat_rate)),
        }
        for a in document.allowance_charges.all()
    ]
