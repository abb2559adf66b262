"""The placeholder language of email texts: ``{name}`` for a value, ``{{`` and ``}}`` for a
literal brace, nothing else.

User text is never given to the Django template engine: it is parsed here into literal parts
and placeholders from a fixed list. Anything that looks like a placeholder but is not one — an
unknown name, a brace that is never closed, a closing brace without an opening one — is an
error that names the culprit. Other template languages' expressions, ``${7*7}`` and
``#{a + b}`` (a ``$`` or ``#`` before braces around what cannot be a name), are ordinary text:
they are sent as written.
"""

import difflib
import functools
import html
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PLACEHOLDERS: dict[str, object] = {
    "document_number": gettext_lazy("Number of the document, e.g. 2026-0042"),
    "document_kind": gettext_lazy(
        "Kind of document in the text's language (invoice, quote, ...); "
        "the title for other documents"
    ),
    "client_name": gettext_lazy("Name of the client"),
    "contact_name": gettext_lazy("Contact person of the client; the client's name if none"),
    "amount_due": gettext_lazy("Amount still to pay, e.g. 1.234,56 €"),
    "due_date": gettext_lazy("Due date"),
    "issue_date": gettext_lazy("Issue date"),
    "company_name": gettext_lazy("Your company's name"),
    "structured_communication": gettext_lazy(
        "Structured communication for the payment, e.g. +++090/9337/55493+++"
    ),
    "iban": gettext_lazy("Your company's IBAN"),
    "payment_request": gettext_lazy(
        "The request to pay the amount due by the due date, with your IBAN and the structured "
        "communication; for an invoice paid in full, that there is nothing to pay"
    ),
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a person may have meant as a placeholder: words, maybe mistyped with spaces or dashes.
_MEANT_AS_NAME = re.compile(r"[\w\s.\-]*")
_EXPRESSION_MARKS = "$#"
_MAX_SHOWN = 40


@dataclass(frozen=True)
class Placeholder:
    name: str


Segment = str | Placeholder


def parse(text: str) -> list[Segment]:
    """The text as literal strings and placeholders; ValidationError listing every problem."""
    return list(_parsed(text))


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> tuple[Segment, ...]:
    """``parse``, kept per text: a bulk send renders the same few texts for every document.
    A text with a problem is not kept (the error is raised again, in the reader's language)."""
    segments: list[Segment] = []
    errors: list[ValidationError] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if text.startswith("{{", i) or text.startswith("}}", i):
            literal.append(char)
            i += 2
        elif char == "}":
            errors.append(_stray_closing_error(text, i))
            i += 1
        elif char == "{":
            end = text.find("}", i + 1)
            opened_again = text.find("{", i + 1)
            if end == -1 or (opened_again != -1 and opened_again < end):
                errors.append(_unclosed_error(text, i))
                i += 1
                continue
            name = text[i + 1 : end]
            error = _name_error(name)
            if _is_foreign_expression(text, i, name):
                literal.append(text[i : end + 1])
            elif error:
                errors.append(error)
            else:
                segments.extend(["".join(literal), Placeholder(name)])
                literal = []
            i = end + 1
        else:
            literal.append(char)
            i += 1
    if errors:
        raise ValidationError(errors)
    segments.append("".join(literal))
    return tuple(s for s in segments if s != "")


def _is_foreign_expression(text: str, brace: int, content: str) -> bool:
    """``${7*7}`` or ``#{7*7}``: another template language's syntax, not a placeholder."""
    marked = brace > 0 and text[brace - 1] in _EXPRESSION_MARKS
    return marked and not _MEANT_AS_NAME.fullmatch(content)


def check(text: str) -> None:
    parse(text)


def _shown(fragment: str) -> str:
    fragment = " ".join(fragment.split())
    return fragment if len(fragment) <= _MAX_SHOWN else fragment[:_MAX_SHOWN] + "…"


def _unclosed_error(text: str, at: int) -> ValidationError:
    return ValidationError(
        _(
            "The brace at “%(fragment)s” is never closed: finish the placeholder with }, "
            "or write {{ for a literal {."
        )
        % {"fragment": _shown(text[at:])},
        code="placeholder_unclosed",
    )


def _stray_closing_error(text: str, at: int) -> ValidationError:
    start = max(0, at - _MAX_SHOWN + 1)
    return ValidationError(
        _("The closing brace in “%(fragment)s” has no opening brace: write }} for a literal }.")
        % {"fragment": _shown(text[start : at + 1])},
        code="placeholder_stray_brace",
    )


def _name_error(name: str) -> ValidationError | None:
    if name in PLACEHOLDERS:
        return None
    if not _NAME.fullmatch(name):
        return ValidationError(
            _(
                "“{%(name)s}” is not a placeholder: a placeholder is a name from the list "
                "between braces, like {client_name}. Write {{ and }} for literal braces."
            )
            % {"name": _shown(name)},
            code="placeholder_malformed",
        )
    suggestion = difflib.get_close_matches(name.lower(), PLACEHOLDERS, n=1)
    if suggestion:
        message = _("Unknown placeholder {%(name)s}: did you mean {%(suggestion)s}?") % {
            "name": name,
            "suggestion": suggestion[0],
        }
    else:
        message = _("Unknown placeholder {%(name)s}: use one of %(known)s.") % {
            "name": name,
            "known": ", ".join(f"{{{known}}}" for known in PLACEHOLDERS),
        }
    return ValidationError(message, code="placeholder_unknown")


def render_text(segments: list[Segment], values: dict[str, str]) -> str:
    return "".join(s if isinstance(s, str) else values[s.name] for s in segments)


def render_html(segments: list[Segment], values: dict[str, str]) -> str:
    """Paragraphs of escaped text: the user's words and the values alike are plain text."""
    escaped = "".join(
        html.escape(s if isinstance(s, str) else values[s.name], quote=True) for s in segments
    )
    paragraphs = re.split(r"\n\s*\n", escaped.replace("\r\n", "\n").strip())
    return "\n".join(
        "<p>" + paragraph.strip("\n").replace("\n", "<br>\n") + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )
