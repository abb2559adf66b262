"""Peppol endpoint schemes (ISO 6523 ICD and Peppol EAS codes) a client's electronic address
may use, named, and the shape of the identifier where Porto can check it."""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from porto.lib import identifiers

SCHEMES = {
    "0208": gettext_lazy("Belgian company number (KBO/BCE)"),
    "9925": gettext_lazy("Belgian VAT number"),
    "0106": gettext_lazy("Dutch Chamber of Commerce number (KvK)"),
    "0190": gettext_lazy("Dutch government identifier (OIN)"),
    "9944": gettext_lazy("Dutch VAT number"),
    "0009": gettext_lazy("French SIRET number"),
    "0002": gettext_lazy("French SIRENE number"),
    "9957": gettext_lazy("French VAT number"),
    "9938": gettext_lazy("Luxembourg VAT number"),
    "9930": gettext_lazy("German VAT number"),
    "0204": gettext_lazy("German Leitweg-ID"),
    "9914": gettext_lazy("Austrian VAT number"),
    "0211": gettext_lazy("Italian VAT number (partita IVA)"),
    "9920": gettext_lazy("Spanish VAT number"),
    "0192": gettext_lazy("Norwegian organisation number"),
    "0007": gettext_lazy("Swedish organisation number"),
    "0184": gettext_lazy("Danish CVR number"),
    "0037": gettext_lazy("Finnish business ID (LY-tunnus)"),
    "0088": gettext_lazy("Global Location Number (GLN)"),
    "0060": gettext_lazy("DUNS number"),
    "0151": gettext_lazy("Australian Business Number (ABN)"),
}

_SPACES = re.compile(r"\s+")


def scheme_choices() -> list[tuple[str, str]]:
    """(code, "code: name") in the order above: the Belgian schemes first."""
    return [(code, f"{code}: {name}") for code, name in SCHEMES.items()]


def gln_check_digit(first_twelve: str) -> int:
    """GS1 check digit: weights 3 and 1 from the right, then up to the next ten."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first_twelve)))
    return (10 - total % 10) % 10


def clean_gln(value: str) -> str:
    if not re.fullmatch(r"\d{13}", value):
        raise ValidationError(
            _("A GLN has 13 digits, like 5412345000013; %(value)s does not.") % {"value": value},
            code="gln_format",
        )
    if gln_check_digit(value[:12]) != int(value[12]):
        raise ValidationError(
            _(
                "The GLN %(value)s has a wrong check digit (the last digit): "
                "check it for a typing mistake."
            )
            % {"value": value},
            code="gln_checksum",
        )
    return value


def clean_kbo_endpoint(value: str) -> str:
    try:
        return identifiers.clean_kbo(value)
    except ValidationError as error:
        raise ValidationError(
            _("With scheme 0208 the identifier is the client's KBO/BCE number: %(reason)s")
            % {"reason": error.messages[0]},
            code="endpoint_0208",
        ) from error


def clean_belgian_vat_endpoint(value: str) -> str:
    compact = value.upper()
    if compact[:1].isdigit():
        compact = "BE" + compact
    if not compact.startswith("BE"):
        raise ValidationError(
            _(
                "With scheme 9925 the identifier is a Belgian VAT number, like BE0123456749; "
                "%(value)s is not Belgian."
            )
            % {"value": value},
            code="endpoint_9925",
        )
    try:
        return identifiers.clean_vat(compact)
    except ValidationError as error:
        raise ValidationError(
            _("With scheme 9925 the identifier is the client's Belgian VAT number: %(reason)s")
            % {"reason": error.messages[0]},
            code="endpoint_9925",
        ) from error


CHECKS: dict[str, Callable[[str], str]] = {
    "0208": clean_kbo_endpoint,
    "9925": clean_belgian_vat_endpoint,
    "0088": clean_gln,
}


def clean_endpoint_id(scheme: str, identifier: str) -> str:
    """The identifier without spaces, checked for the schemes whose shape Porto knows."""
    compact = _SPACES.sub("", identifier or "")
    check = CHECKS.get(scheme)
    return check(compact) if check else compact
