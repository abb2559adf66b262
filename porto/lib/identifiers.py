"""Belgian and European identifiers: parse, check and format.

Each ``clean_*`` function returns the normalised value or raises ``ValidationError`` with a
message that says what is wrong and how to fix it.
"""

import functools
import re
import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from porto.lib.text import clean_single_line

_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")
# RFC 5321, 4.5.3.1.1: a local part has at most 64 octets.
MAX_LOCAL_PART_CHARS = 64
# Something@something.tld, also inside quotes or brackets: what a reader takes for an address.
_ADDRESS_LIKE = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+\.[^\s@<>\"']+")


def mod97_check_digits(number: int) -> int:
    """Belgian mod-97 check: 97 - (n mod 97), as used by KBO/BCE and VAT numbers."""
    return 97 - (number % 97)


def clean_kbo(value: str) -> str:
    """A KBO/BCE enterprise number: 10 digits, first 0 or 1, last two a mod-97 check."""
    digits = re.sub(r"[\s.\-]", "", value or "")
    if digits.upper().startswith("BE"):
        digits = digits[2:]
    if len(digits) == 9 and digits.isdigit():
        digits = "0" + digits
    if not (len(digits) == 10 and digits.isdigit()):
        raise ValidationError(
            _("A KBO/BCE number has 10 digits, like 0123.456.749; %(value)s does not.")
            % {"value": value},
            code="kbo_format",
        )
    if digits[0] not in "01":
        raise ValidationError(
            _(
                "A KBO/BCE number starts with 0 or 1; %(value)s does not: "
                "copy it again from the KBO/BCE register."
            )
            % {"value": value},
            code="kbo_format",
        )
    if mod97_check_digits(int(digits[:8])) != int(digits[8:]):
        raise ValidationError(
            _(
                "The KBO/BCE number %(value)s has a wrong check number (last two digits): "
                "check it for a typing mistake."
            )
            % {"value": value},
            code="kbo_checksum",
        )
    return digits


def format_kbo(digits: str) -> str:
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def clean_vat(value: str) -> str:
    """An EU VAT number. Belgian ones (BE + KBO number) are checked fully, others by shape."""
    compact = _NON_ALNUM.sub("", value or "").upper()
    if len(compact) < 4 or not compact[:2].isalpha():
        raise ValidationError(
            _("A VAT number starts with the country code, like BE0123456749; %(value)s does not.")
            % {"value": value},
            code="vat_format",
        )
    if compact[:2] == "BE":
        try:
            return "BE" + clean_kbo(compact[2:])
        except ValidationError as error:
            raise ValidationError(
                _("%(value)s is not a valid Belgian VAT number: %(reason)s")
                % {"value": value, "reason": error.messages[0]},
                code="vat_be",
            ) from error
    if not re.fullmatch(r"[A-Z]{2}(?=[A-Z]*[0-9])[0-9A-Z]{8,14}", compact):
        raise ValidationError(
            _(
                "%(value)s does not look like an EU VAT number: write the country code "
                "followed by 8 to 14 letters and digits, like NL859271603B01."
            )
            % {"value": value},
            code="vat_format",
        )
    return compact


_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}  # fmt: skip


def iban_checksum_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


def clean_iban(value: str) -> str:
    compact = _NON_ALNUM.sub("", value or "").upper()
    country = compact[:2]
    if len(compact) < 5 or not country.isalpha() or not compact[2:4].isdigit():
        raise ValidationError(
            _(
                "%(value)s is not an IBAN: an IBAN starts with a country code and two check "
                "digits, like BE68 5390 0754 7034."
            )
            % {"value": value},
            code="iban_format",
        )
    expected = _IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        raise ValidationError(
            _(
                "A %(country)s IBAN has %(expected)d characters; %(value)s has %(actual)d: "
                "check for a missing or extra digit."
            )
            % {"country": country, "expected": expected, "value": value, "actual": len(compact)},
            code="iban_length",
        )
    if not iban_checksum_ok(compact):
        raise ValidationError(
            _("The IBAN %(value)s has a wrong checksum: check it for a typing mistake.")
            % {"value": value},
            code="iban_checksum",
        )
    return compact


def format_iban(compact: str) -> str:
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def clean_bic(value: str) -> str:
    compact = _NON_ALNUM.sub("", value or "").upper()
    if not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", compact):
        raise ValidationError(
            _("A BIC has 8 or 11 letters and digits, like GKCCBEBB; %(value)s does not.")
            % {"value": value},
            code="bic_format",
        )
    return compact


def structured_communication(base: int) -> str:
    """+++xxx/xxxx/xxxxx+++ for a 10-digit base; the last two digits are base mod 97 (0 → 97)."""
    if not 0 <= base < 10**10:
        raise ValueError("The base of a structured communication has at most 10 digits.")
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"


def clean_structured_communication(value: str) -> str:
    digits = "".join(ch for ch in value or "" if ch in string.digits)
    if len(digits) != 12:
        raise ValidationError(
            _(
                "A structured communication has 12 digits, like +++090/9337/55493+++; "
                "%(value)s has %(count)d."
            )
            % {"value": value, "count": len(digits)},
            code="ogm_format",
        )
    if (int(digits[:10]) % 97 or 97) != int(digits[10:]):
        raise ValidationError(
            _(
                "The structured communication %(value)s has a wrong check number (last two "
                "digits): copy it again from the invoice."
            )
            % {"value": value},
            code="ogm_checksum",
        )
    return structured_communication(int(digits[:10]))


# RFC 2606 reserves .invalid for names that must fail. email-validator refuses it, but Porto
# accepts it so that such an address fails where a person can see it: at delivery, as a bounce
# (the sandbox answers 550 5.1.1 for it; the demo data has one).
_MUST_FAIL_TLD = ".invalid"
_STAND_IN_TLD = ".example"


def clean_email_address(value: str) -> str:
    """Check an address's syntax (no DNS look-up) and return its normalised form."""
    value = value or ""
    if any(ch in value for ch in "\r\n"):
        raise ValidationError(
            _("An email address cannot contain a line break: write it on one line."),
            code="email",
        )
    address = value.strip()
    must_fail = address.lower().endswith(_MUST_FAIL_TLD)
    if must_fail:
        address = address[: -len(_MUST_FAIL_TLD)] + _STAND_IN_TLD
    try:
        normalized = _validated(address)
    except EmailNotValidError as error:
        raise ValidationError(
            _("%(value)s is not a valid email address: %(reason)s")
            % {"value": value, "reason": str(error)},
            code="email",
        ) from error
    if must_fail:
        normalized = normalized[: -len(_STAND_IN_TLD)] + _MUST_FAIL_TLD
    local_part = normalized.rpartition("@")[0]
    if len(local_part) > MAX_LOCAL_PART_CHARS:
        raise ValidationError(
            _(
                "%(value)s is not a valid email address: the part before the @ has %(count)d "
                "characters, and mail servers accept at most %(max)d."
            )
            % {"value": value, "count": len(local_part), "max": MAX_LOCAL_PART_CHARS},
            code="email",
        )
    return normalized


@functools.lru_cache(maxsize=4096)
def _validated(address: str) -> str:
    """email-validator's normalised form of ``address``, kept per address: a bulk send checks
    its clients' few addresses once per document. A refused address is not kept: its error
    is raised again each time."""
    return str(validate_email(address, check_deliverability=False).normalized)


def clean_sender_name(value: str) -> str:
    """The name shown as an email's sender: one line of plain text that is not an address,
    or the recipient would take the name for the address the email came from."""
    clean_single_line(value, _("sender name"))
    if "@" in value and _looks_like_address(value):
        raise ValidationError(
            _(
                "The sender name %(value)s looks like an email address: write a name, such as "
                "your company's name; the address the email comes from is set apart."
            )
            % {"value": value},
            code="sender_name_address",
        )
    return value


def _looks_like_address(value: str) -> bool:
    return any(_ADDRESS_LIKE.search(word) for word in value.split())


def kbo_from_base(base: int) -> str:
    """The KBO/BCE number for an 8-digit base (first digit 0 or 1), with its check digits."""
    return f"{base:08d}{mod97_check_digits(base):02d}"


def belgian_iban(account_base: int) -> str:
    """The Belgian IBAN of a 10-digit account base (bank code + account number)."""
    check = account_base % 97 or 97
    bban = f"{account_base:010d}{check:02d}"
    numeric = "".join(str(int(ch, 36)) for ch in bban + "BE00")
    return f"BE{98 - int(numeric) % 97:02d}{bban}"
