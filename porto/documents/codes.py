"""The code lists a document uses, with the names people read (translated).

- units of measure: UN/ECE Recommendation 20 (BT-130), the common ones named;
- VAT exemption reasons: the CEF VATEX list (BT-121), per VAT category;
- allowance reasons: UNCL 5189 (BT-98, BT-140); charge reasons: UNCL 7161 (BT-105, BT-145).

Only codes listed here are offered and accepted, so every code Porto writes is one the Peppol
rules know.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# UN/ECE Recommendation 20 (with Rec 21 "X" packaging codes), in the order the editor offers.
UNITS = {
    "C62": pgettext_lazy("unit", "piece"),
    "HUR": pgettext_lazy("unit", "hour"),
    "DAY": pgettext_lazy("unit", "day"),
    "WEE": pgettext_lazy("unit", "week"),
    "MON": pgettext_lazy("unit", "month"),
    "ANN": pgettext_lazy("unit", "year"),
    "KGM": pgettext_lazy("unit", "kg"),
    "TNE": pgettext_lazy("unit", "tonne"),
    "MTR": pgettext_lazy("unit", "metre"),
    "MTK": pgettext_lazy("unit", "m²"),
    "MTQ": pgettext_lazy("unit", "m³"),
    "LTR": pgettext_lazy("unit", "litre"),
    "KMT": pgettext_lazy("unit", "km"),
    "KWH": pgettext_lazy("unit", "kWh"),
    "XBX": pgettext_lazy("unit", "box"),
    "SET": pgettext_lazy("unit", "set"),
    "LS": pgettext_lazy("unit", "lump sum"),
}


def unit_name(code: str) -> str:
    """The unit's name in the active language; an unnamed code is shown as it is."""
    return str(UNITS.get(code, code))


# The CEF VATEX code list (BT-121): which codes fit which VAT category.
VATEX = {
    "VATEX-EU-IC": ("K", _("Intra-community supply")),
    "VATEX-EU-AE": ("AE", _("Reverse charge")),
    "VATEX-EU-G": ("G", _("Export outside the EU")),
    "VATEX-EU-O": ("O", _("Not subject to VAT")),
    "VATEX-EU-79-C": (
        "E",
        _("Exempt based on article 79, point c of Council Directive 2006/112/EC"),
    ),
    "VATEX-EU-132": ("E", _("Exempt based on article 132 of Council Directive 2006/112/EC")),
    "VATEX-EU-143": ("E", _("Exempt based on article 143 of Council Directive 2006/112/EC")),
    "VATEX-EU-148": ("E", _("Exempt based on article 148 of Council Directive 2006/112/EC")),
    "VATEX-EU-151": ("E", _("Exempt based on article 151 of Council Directive 2006/112/EC")),
    "VATEX-EU-309": ("E", _("Exempt based on article 309 of Council Directive 2006/112/EC")),
    "VATEX-EU-D": ("E", _("Travel agents margin scheme")),
    "VATEX-EU-F": ("E", _("Second hand goods margin scheme")),
    "VATEX-EU-I": ("E", _("Works of art margin scheme")),
    "VATEX-EU-J": ("E", _("Collectors items and antiques margin scheme")),
}

# The categories whose code is fixed: the form fills it in.
VATEX_FOR_CATEGORY = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G", "O": "VATEX-EU-O"}

# What the PDF and UBL say when the user gave only a code: the usual Belgian wording.
DEFAULT_EXEMPTION_TEXT = {
    "K": _("Intra-community supply exempt from VAT, article 39bis of the Belgian VAT Code"),
    "AE": _("Reverse charge: VAT to be paid by the customer, article 51 § 2 of the VAT Code"),
    "G": _("Export exempt from VAT, article 39 of the Belgian VAT Code"),
    "O": _("Not subject to Belgian VAT"),
    "E": _("Exempt from VAT, article 44 of the Belgian VAT Code"),
}


def vatex_choices(category: str) -> list[tuple[str, str]]:
    return [(code, str(name)) for code, (cat, name) in VATEX.items() if cat == category]


# UNCL 5189: reasons for an allowance (discount).
ALLOWANCE_REASONS = {
    "95": _("Discount"),
    "100": _("Special rebate"),
    "102": _("Fixed long term"),
    "104": _("Standard"),
    "41": _("Bonus for works ahead of schedule"),
    "42": _("Other bonus"),
    "60": _("Manufacturer's consumer discount"),
    "62": _("Due to military status"),
    "63": _("Due to work accident"),
    "64": _("Special agreement"),
    "65": _("Production error discount"),
    "66": _("New outlet discount"),
    "67": _("Sample discount"),
    "68": _("End-of-range discount"),
    "70": _("Incoterm discount"),
    "71": _("Point of sales threshold allowance"),
    "88": _("Material surcharge/deduction"),
    "103": _("Yearly turnover"),
    "105": _("Annual contract discount"),
}

# UNCL 7161: reasons for a charge, the ones a small business uses.
CHARGE_REASONS = {
    "FC": _("Freight service"),
    "ABL": _("Additional packaging"),
    "ADR": _("Other services"),
    "AA": _("Advertising"),
    "ABK": _("Miscellaneous"),
    "CG": _("Cleaning"),
    "DL": _("Delivery"),
    "FI": _("Financing"),
    "IN": _("Insurance"),
    "PC": _("Packing"),
    "SAA": _("Shipping and handling"),
}


def reason_codes(is_charge: bool) -> dict:
    return CHARGE_REASONS if is_charge else ALLOWANCE_REASONS
