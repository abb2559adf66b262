"""The documents resource's write path. A draft sent to the API goes through the very forms
of the document editor (``porto.documents.forms``: the document's fields, one line form per
line, one form per allowance or charge), so the API and the editor accept the same values and
refuse them with the same messages; then ``porto.documents.drafts.draft_save`` stores it, all
or nothing, with the editor's revision check.

The input serializer has already parsed the types (numbers with a point, dates, ids); the
forms take those values as they are (``TypedDecimalField`` keeps a Decimal), so no number is
re-read in the UI language.

A PATCH changes the fields it sends; ``lines`` and ``allowances``, when sent, replace the
whole list (as the editor's save does).
"""

from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ErrorDetail, ValidationError

from porto.api.clients import details
from porto.api.errors import Conflict
from porto.clients.models import Client
from porto.documents import drafts
from porto.documents.forms import (
    DOCUMENT_FIELDS,
    AllowanceChargeFields,
    DocumentAllowanceForm,
    DocumentForm,
    LineForm,
)
from porto.documents.models import (
    CATEGORIES_NEEDING_REASON,
    Document,
    DocumentKind,
    FinalizedDocumentError,
)
from porto.documents.totals import rate_key

LINE_DEFAULTS = {"description": "", "unit_code": "C62", "price_base_quantity": Decimal("1")}


def finalized_conflict(document: Document) -> Conflict:
    message = FinalizedDocumentError(document.number).messages[0]
    return Conflict(message, code="document_finalized")


def form_value(value):
    """A parsed value as the editor's form reads it: ids for rows, "0"/"1" for the kind of
    an allowance, a rate as the choice it is offered as ("21", "6", "0")."""
    if value is None:
        return ""
    if isinstance(value, Client | Document):
        return value.pk
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def document_data(document: Document, given: dict) -> dict:
    """The document form's data: the draft's current values, then what was sent."""
    data = {name: form_value(getattr(document, name)) for name in DOCUMENT_FIELDS}
    data |= {name: form_value(given[name]) for name in DOCUMENT_FIELDS if name in given}
    exemptions = given.get("vat_exemptions", document.vat_exemptions or {})
    for category in sorted(CATEGORIES_NEEDING_REASON):
        reason = exemptions.get(category) or {}
        data[f"exemption_{category}_code"] = reason.get("code", "")
        data[f"exemption_{category}_text"] = reason.get("text", "")
    data["revision"] = given.get("revision", document.revision)
    return data


def prefixed(prefix: str, values: dict) -> dict:
    return {f"{prefix}-{name}": form_value(value) for name, value in values.items()}


def rate_choice(values: dict) -> dict:
    if isinstance(values.get("vat_rate"), Decimal):
        return values | {"vat_rate": str(rate_key(values["vat_rate"]))}
    return values


class DraftCheck:
    """The editor's forms bound to one request's draft; ``errors`` named as the API names
    fields (``lines.2.quantity``, ``lines.0.allowances.1.amount``, ``vat_exemptions.K.code``)."""

    def __init__(self, document: Document, given: dict):
        self.document = document
        self.form = DocumentForm(document_data(document, given), document=document)
        vat = drafts.default_vat(document.company, self._client(given))
        lines = given.get("lines")
        self.lines = None if lines is None else [self._line(i, v, vat) for i, v in enumerate(lines)]
        allowances = given.get("allowances")
        self.allowances = (
            None
            if allowances is None
            else [self._allowance(i, v, vat) for i, v in enumerate(allowances)]
        )
        self.errors: dict[str, list[ErrorDetail]] = self._kind_errors(given)

    def _client(self, given: dict) -> Client | None:
        """The client the lines' default VAT is chosen for (None when not this company's)."""
        if "client" not in given:
            return self.document.client
        return Client.objects.filter(company=self.document.company, pk=given["client"]).first()

    def _line(self, index: int, values: dict, vat: tuple[str, Decimal]):
        prefix = f"lines-{index}"
        fields = LINE_DEFAULTS | {"vat_category": vat[0], "vat_rate": vat[1]}
        fields |= {name: value for name, value in values.items() if name != "allowances"}
        line = LineForm(prefixed(prefix, rate_choice(fields)), prefix=prefix)
        allowances = [
            AllowanceChargeFields(
                prefixed(f"{prefix}-ac{number}", {"is_charge": False} | row),
                prefix=f"{prefix}-ac{number}",
                empty_permitted=False,
            )
            for number, row in enumerate(values.get("allowances", []))
        ]
        return line, allowances

    def _allowance(self, index: int, values: dict, vat: tuple[str, Decimal]):
        prefix = f"allowances-{index}"
        fields = {"is_charge": False, "vat_category": vat[0], "vat_rate": vat[1]} | values
        return DocumentAllowanceForm(
            prefixed(prefix, rate_choice(fields)), prefix=prefix, empty_permitted=False
        )

    def _kind_errors(self, given: dict) -> dict[str, list[ErrorDetail]]:
        """A field the editor does not show for this kind is refused, not ignored."""
        errors = {}
        if "title" in given and self.document.kind != DocumentKind.OTHER:
            message = _("Title: only an other document (kind other) has a title; leave it out.")
            errors["title"] = [ErrorDetail(message, code="not_for_kind")]
        if given.get("corrects") is not None and self.document.kind != DocumentKind.CREDIT_NOTE:
            message = _("Corrects: only a credit note corrects an invoice; leave it out.")
            errors["corrects"] = [ErrorDetail(message, code="not_for_kind")]
        unknown = sorted(set(given.get("vat_exemptions", {})) - CATEGORIES_NEEDING_REASON)
        if unknown:
            message = _(
                "VAT exemptions: give a reason only for the categories %(categories)s, "
                "not %(unknown)s."
            ) % {
                "categories": ", ".join(sorted(CATEGORIES_NEEDING_REASON)),
                "unknown": ", ".join(unknown),
            }
            errors["vat_exemptions"] = [ErrorDetail(message, code="invalid_category")]
        return errors

    def is_valid(self) -> bool:
        if not self.form.is_valid():
            self.errors |= self._document_errors()
        for index, (line, allowances) in enumerate(self.lines or []):
            if not line.is_valid():
                self.errors |= details(line.errors.as_data(), f"lines.{index}.")
            for number, allowance in enumerate(allowances):
                if not allowance.is_valid():
                    where = f"lines.{index}.allowances.{number}."
                    self.errors |= details(allowance.errors.as_data(), where)
        for index, allowance in enumerate(self.allowances or []):
            if not allowance.is_valid():
                self.errors |= details(allowance.errors.as_data(), f"allowances.{index}.")
        return not self.errors

    def _document_errors(self) -> dict[str, list[ErrorDetail]]:
        found = details(self.form.errors.as_data())
        for name in list(found):
            if name.startswith("exemption_"):
                _prefix, category, part = name.split("_")
                found[f"vat_exemptions.{category}.{part}"] = found.pop(name)
        return found

    def draft_input(self) -> tuple[dict, list[drafts.LineDraft], list[dict], int]:
        stored = self.document.pk is not None
        if self.lines is not None:
            lines = [
                drafts.LineDraft(line.line_fields(), [a.values() for a in allowances])
                for line, allowances in self.lines
            ]
        else:
            lines = drafts.line_drafts(self.document) if stored else []
        if self.allowances is not None:
            allowances = [allowance.values() for allowance in self.allowances]
        else:
            allowances = drafts.allowance_values(self.document) if stored else []
        return self.form.document_fields(), lines, allowances, self.form.cleaned_data["revision"]


def draft_write(document: Document, given: dict) -> Document:
    """Check ``given`` (parsed by the input serializer) as the editor does, then save the
    draft (a new one when ``document`` has no pk). Refused: a ValidationError naming each
    field; a finalized document or a stale ``revision``: 409."""
    if document.pk is not None and not document.is_draft:
        raise finalized_conflict(document)
    check = DraftCheck(document, given)
    if not check.is_valid():
        raise ValidationError(check.errors)
    try:
        return drafts.draft_save(document, *check.draft_input())
    except FinalizedDocumentError as error:
        raise finalized_conflict(document) from error
    except DjangoValidationError as error:
        if error.code == "stale":
            raise Conflict(error.messages[0], code="document_changed") from error
        raise ValidationError(
            details({NON_FIELD_ERRORS: [DjangoValidationError(m) for m in error.messages]})
        ) from error
