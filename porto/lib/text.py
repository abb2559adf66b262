"""What plain text a person types may hold: the one home of the character rules of names,
descriptions and email texts, and of the size of an email's body.

Single-line fields (names, subjects) take no line break and no control character at all;
multi-line fields (descriptions, notes, payment terms, email bodies) take line breaks (LF or
CRLF) and tabs, nothing else below U+0020. Neither kind takes a direction override
(U+202A to U+202E, U+2066 to U+2069): it makes text read differently from how it is stored.
"""

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The longest body an email (and an email text) may have, in characters.
MAX_BODY_CHARS = 20_000
BODY_TOO_LONG = gettext_lazy("The message has %(count)d characters; it can have at most %(max)d.")

_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x85\u2028\u2029]")
# C0 controls but tab and line feed, DEL, C1 controls, line and paragraph separators.
_CONTROL_MULTI_LINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_DIRECTION_OVERRIDE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def clean_single_line(value: str, field: str) -> str:
    """``value`` if it is one line of plain text; ValidationError naming ``field`` if not."""
    if _LINE_BREAK.search(value):
        raise ValidationError(
            _("The field “%(field)s” must be on one line: remove the line break.")
            % {"field": field},
            code="line_break",
        )
    _refuse(value, field, _CONTROL_SINGLE_LINE)
    return value


def clean_multi_line(value: str, field: str) -> str:
    """``value`` if it is plain text, line breaks and tabs allowed; ValidationError naming
    ``field`` if not. A carriage return counts as a line break only before a line feed."""
    _refuse(value.replace("\r\n", "\n"), field, _CONTROL_MULTI_LINE)
    return value


def model_text_errors(
    instance: Any, *, single_line: Iterable[str] = (), multi_line: Iterable[str] = ()
) -> dict[str, list[str]]:
    """The problems of a model instance's text fields, by field, each message naming the
    field by its verbose name: for a model's ``clean()``."""
    errors: dict[str, list[str]] = {}
    for names, clean in ((single_line, clean_single_line), (multi_line, clean_multi_line)):
        for name in names:
            label = str(instance._meta.get_field(name).verbose_name)
            try:
                clean(getattr(instance, name) or "", label)
            except ValidationError as error:
                errors[name] = error.messages
    return errors


def _refuse(value: str, field: str, controls: re.Pattern) -> None:
    control = controls.search(value)
    if control:
        raise ValidationError(
            _(
                "The field “%(field)s” contains an invisible control character (%(code)s): "
                "remove it, for example by typing the text again instead of pasting it."
            )
            % {"field": field, "code": _code_point(control.group())},
            code="control_character",
        )
    override = _DIRECTION_OVERRIDE.search(value)
    if override:
        raise ValidationError(
            _(
                "The field “%(field)s” contains an invisible character that changes the reading "
                "direction (%(code)s): remove it, so the text reads as it is stored."
            )
            % {"field": field, "code": _code_point(override.group())},
            code="direction_override",
        )


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def body_too_long(count: int) -> str:
    return str(BODY_TOO_LONG) % {"count": count, "max": MAX_BODY_CHARS}


def invisible_character(value: str) -> tuple[str, str] | None:
    """The first character of ``value`` a one-line field refuses, as ``(code, "U+XXXX")``
    (``control_character`` or ``direction_override``); None when there is none. For messages
    worded by the caller, such as a file name's."""
    for code, pattern in (
        ("control_character", _CONTROL_SINGLE_LINE),
        ("direction_override", _DIRECTION_OVERRIDE),
    ):
        found = pattern.search(value)
        if found:
            return code, _code_point(found.group())
    return None


def without_invisible(value: str) -> str:
    """``value`` without the characters ``invisible_character`` finds: safe to show."""
    return _DIRECTION_OVERRIDE.sub("", _CONTROL_SINGLE_LINE.sub("", value))
