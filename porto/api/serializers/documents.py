"""The documents resource: what is read (output) and what may be sent (input). The input is
only parsed here (types: numbers with a point, ISO dates, ids); the rules are the editor's
(porto/api/documents.py runs the editor's forms)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from porto.api.serializers.base import StrictInputSerializer
from porto.documents.models import (
    Document,
    DocumentAllowanceCharge,
    DocumentKind,
    DocumentLine,
    LineAllowanceCharge,
)
from porto.documents.totals import Totals

# Output


class LineAllowanceOutput(serializers.ModelSerializer):
    class Meta:
        model = LineAllowanceCharge
        fields = ["is_charge", "amount", "percentage", "reason_code", "reason"]


class LineOutput(serializers.ModelSerializer):
    allowances = LineAllowanceOutput(source="allowance_charges", many=True, read_only=True)
    net_amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = DocumentLine
        fields = [
            "name",
            "description",
            "quantity",
            "unit_code",
            "unit_price",
            "price_base_quantity",
            "vat_category",
            "vat_rate",
            "allowances",
            "net_amount",
        ]


class DocumentAllowanceOutput(serializers.ModelSerializer):
    class Meta:
        model = DocumentAllowanceCharge
        fields = [
            "is_charge",
            "amount",
            "percentage",
            "base_amount",
            "reason_code",
            "reason",
            "vat_category",
            "vat_rate",
        ]


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, **kwargs)


class VatSubtotalOutput(serializers.Serializer):
    category = serializers.CharField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    taxable_amount = money()
    tax_amount = money()


class TotalsOutput(serializers.Serializer):
    """``compute_totals``, the one home of the EN 16931 sums."""

    line_nets = serializers.ListField(child=money(), help_text="Each line's net amount, in order.")
    line_extension = money(help_text="Sum of the line nets.")
    allowance_total = money()
    charge_total = money()
    tax_exclusive = money()
    tax_total = money()
    tax_inclusive = money()
    prepaid = money()
    payable = money(help_text="What is left to pay (due).")
    vat_breakdown = VatSubtotalOutput(many=True)


class ExemptionOutput(serializers.Serializer):
    code = serializers.CharField(help_text="A VATEX code, e.g. VATEX-EU-IC, or empty.")
    text = serializers.CharField()


class LinksOutput(serializers.Serializer):
    pdf = serializers.URLField(allow_null=True)
    ubl = serializers.URLField(allow_null=True)


class DocumentOutput(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    corrects = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    vat_exemptions = serializers.DictField(child=ExemptionOutput())
    lines = LineOutput(many=True, read_only=True)
    allowances = DocumentAllowanceOutput(source="allowance_charges", many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "status",
            "number",
            "revision",
            "title",
            "client",
            "currency",
            "issue_date",
            "due_date",
            "buyer_reference",
            "order_reference",
            "structured_communication",
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
            "corrects",
            "vat_exemptions",
            "lines",
            "allowances",
            "totals",
            "links",
            "sent_at",
            "finalized_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(TotalsOutput)
    def get_totals(self, document: Document) -> dict:
        totals: Totals = document.compute_totals()
        return TotalsOutput(totals).data

    @extend_schema_field(LinksOutput)
    def get_links(self, document: Document) -> dict:
        """Where the files are downloaded; null for a draft (it has none yet)."""
        request = self.context.get("request")

        def link(name: str) -> str | None:
            if document.is_draft:
                return None
            path = reverse(name, args=[document.pk])
            return request.build_absolute_uri(path) if request else path

        return {"pdf": link("api_document_pdf"), "ubl": link("api_document_ubl")}


class DocumentListOutput(serializers.ModelSerializer):
    """A row of the list: the document without its lines (GET one for everything)."""

    client = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "kind",
            "status",
            "number",
            "revision",
            "title",
            "client",
            "issue_date",
            "due_date",
            "currency",
            "total_excl_vat",
            "total_vat",
            "total_incl_vat",
            "amount_due",
            "sent_at",
            "updated_at",
        ]


# Input

NUMBER_MESSAGE = gettext_lazy(
    "Write a number with a point as the decimal mark, for example 12.50 (as a JSON string "
    "or number)."
)
DATE_MESSAGE = gettext_lazy("Write the date as YYYY-MM-DD, for example 2026-12-01.")


def text(**kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, **kwargs)


def number(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        required=False,
        error_messages={"invalid": NUMBER_MESSAGE},
        **kwargs,
    )


def date(**kwargs) -> serializers.DateField:
    return serializers.DateField(
        required=False, allow_null=True, error_messages={"invalid": DATE_MESSAGE}, **kwargs
    )


def row_id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        error_messages={"invalid": gettext_lazy("Give the id as a whole number.")},
        **kwargs,
    )


class AllowanceFieldsInput(StrictInputSerializer):
    is_charge = serializers.BooleanField(required=False, help_text="false: an allowance.")
    amount = number(allow_null=True)
    percentage = number(allow_null=True, help_text="Instead of an amount: 0 to 100.")
    reason_code = text(help_text="UNCL5189 (allowance) or UNCL7161 (charge) code.")
    reason = text()


class LineAllowanceInput(AllowanceFieldsInput):
    pass


class DocumentAllowanceInput(AllowanceFieldsInput):
    base_amount = number(
        allow_null=True, help_text="Empty: the lines of this VAT category and rate."
    )
    vat_category = text(help_text="S, Z, E, AE, K, G or O.")
    vat_rate = number()


class LineInput(StrictInputSerializer):
    name = text()
    description = text()
    quantity = number(allow_null=True)
    unit_code = text(help_text="UN/ECE Recommendation 20, e.g. C62 (piece), HUR (hour).")
    unit_price = number(allow_null=True)
    price_base_quantity = number(help_text="The quantity the unit price is for (default 1).")
    vat_category = text(help_text="S, Z, E, AE, K, G or O; default from the client.")
    vat_rate = number(help_text="6, 12 or 21 for S, 0 otherwise.")
    allowances = LineAllowanceInput(many=True, required=False)


class ExemptionInput(StrictInputSerializer):
    code = text(help_text="A VATEX code of the category, or empty.")
    text = text(help_text="The reason as printed on the document.")


class DraftFieldsInput(StrictInputSerializer):
    """Every field of the editor."""

    title = text(help_text="Only for kind other, e.g. Delivery note.")
    client = row_id(help_text="The id of one of the company's clients.")
    issue_date = date(help_text="Empty: the day it is finalized.")
    due_date = date()
    buyer_reference = text()
    order_reference = text()
    note = text()
    payment_terms = text()
    payment_iban = text(help_text="Default: the company's IBAN.")
    payment_bic = text(help_text="Default: the company's BIC.")
    prepaid_amount = number(allow_null=True)
    delivery_date = date()
    deliver_to_name = text()
    deliver_to_street = text()
    deliver_to_street2 = text()
    deliver_to_postal_code = text()
    deliver_to_city = text()
    deliver_to_country = text(help_text="Two letters, e.g. BE.")
    corrects = row_id(help_text="Credit notes: the id of the finalized invoice corrected.")
    vat_exemptions = serializers.DictField(
        child=ExemptionInput(),
        required=False,
        help_text="Per VAT category without VAT (E, AE, K, G, O): {code, text}.",
    )
    lines = LineInput(many=True, required=False, help_text="The whole list; replaces it.")
    allowances = DocumentAllowanceInput(
        many=True, required=False, help_text="Document allowances and charges; replaces them."
    )


class DraftCreateInput(DraftFieldsInput):
    kind = serializers.ChoiceField(
        choices=DocumentKind.choices,
        error_messages={
            "required": gettext_lazy("Give the kind: invoice, credit_note, quote or other."),
            "invalid_choice": gettext_lazy("Choose the kind invoice, credit_note, quote or other."),
        },
    )


class DraftUpdateInput(DraftFieldsInput):
    revision = serializers.IntegerField(
        min_value=0,
        help_text="The revision read with the draft: a stale one is refused (409).",
        error_messages={
            "required": gettext_lazy(
                "Send the revision you read with the draft, so that nobody's changes are "
                "overwritten."
            ),
        },
    )
