"""Writes and rendering of email texts.

``email_text_for`` picks the text to send: the default of the kind in the client's language,
else in the company's language, else in English. ``email_text_render`` fills the placeholders
for one document, formatted in the email's language.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from porto.accounts.models import Company
from porto.documents.models import Document, DocumentKind
from porto.documents.rendering.parties import is_paid_in_full, payment_account
from porto.emailtexts import placeholders
from porto.emailtexts.defaults import SHIPPED, payment_request, shipped_text
from porto.emailtexts.models import EmailText, TextKind
from porto.lib.formatting import format_amount, format_date
from porto.lib.identifiers import format_iban
from porto.lib.languages import Language

FALLBACK_LANGUAGE = Language.ENGLISH.value
MISSING = "—"

KIND_WORDS = {
    "nl": {
        DocumentKind.INVOICE: "factuur",
        DocumentKind.CREDIT_NOTE: "creditnota",
        DocumentKind.QUOTE: "offerte",
        DocumentKind.OTHER: "document",
    },
    "fr": {
        DocumentKind.INVOICE: "facture",
        DocumentKind.CREDIT_NOTE: "note de crédit",
        DocumentKind.QUOTE: "devis",
        DocumentKind.OTHER: "document",
    },
    "en": {
        DocumentKind.INVOICE: "invoice",
        DocumentKind.CREDIT_NOTE: "credit note",
        DocumentKind.QUOTE: "quote",
        DocumentKind.OTHER: "document",
    },
}
DRAFT_WORDS = {"nl": "(concept)", "fr": "(brouillon)", "en": "(draft)"}


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body_text: str
    body_html: str


# Choosing a text


def email_text_for(
    company: Company, kind: str, language: str, text_id: int | str | None = None
) -> EmailText:
    """The text to use: ``text_id`` if given (it must belong to ``company``, else
    ``EmailText.DoesNotExist``), else the default of ``kind`` in ``language``, falling back
    to the company's default language and then English."""
    if text_id not in (None, ""):
        return _chosen_text(company, text_id)
    if kind not in TextKind.values:
        raise ValueError(f"Unknown kind of email text: {kind!r}")
    for candidate in language_chain(company, language):
        text = _default_text(company, kind, candidate)
        if text is not None:
            return text
    raise EmailText.DoesNotExist(f"No {kind} text for {company}")


def language_chain(company: Company, language: str) -> list[str]:
    chain = []
    for candidate in (language, company.default_language, FALLBACK_LANGUAGE):
        if candidate in Language.values and candidate not in chain:
            chain.append(candidate)
    return chain


def _chosen_text(company: Company, text_id: int | str) -> EmailText:
    if not str(text_id).isdigit():
        raise EmailText.DoesNotExist(f"No email text {text_id!r}")
    return EmailText.objects.get(company=company, pk=int(text_id))


def _default_text(company: Company, kind: str, language: str) -> EmailText | None:
    query = EmailText.objects.filter(company=company, kind=kind, language=language, is_default=True)
    text = query.first()
    if text is None and shipped_text(kind, language) is not None:
        email_texts_ensure_defaults(company)
        text = query.first()
    return text


def email_texts_ensure_defaults(company: Company) -> None:
    """Copy in every shipped text whose kind and language has no default yet."""
    present = set(
        EmailText.objects.filter(company=company, is_default=True).values_list("kind", "language")
    )
    missing = [
        EmailText(
            company=company,
            kind=shipped.key.split(".")[0],
            language=shipped.key.split(".")[1],
            name=shipped.name,
            subject=shipped.subject,
            body=shipped.body,
            is_default=True,
            shipped_key=shipped.key,
        )
        for shipped in SHIPPED.values()
        if tuple(shipped.key.split(".")) not in present
    ]
    # A concurrent request may insert the same defaults: the unique constraints keep one.
    EmailText.objects.bulk_create(missing, ignore_conflicts=True)


# Rendering


def email_text_render(
    text: EmailText, document: Document, language: str | None = None
) -> RenderedText:
    """Subject, plain body and HTML body of ``text`` for ``document``.

    Amounts, dates and the kind's name follow the language the text is written in, so the
    values match the words around them (an English text chosen for a Dutch client gives
    ``€1,234.56``); ``language`` only serves a text without a language."""
    if text.company_id and text.company_id != document.company_id:
        raise ValueError("The email text and the document belong to different companies.")
    values = placeholder_values(document, text.language or language or FALLBACK_LANGUAGE)
    try:
        subject = placeholders.parse(text.subject)
        body = placeholders.parse(text.body)
    except ValidationError as error:
        raise ValidationError(
            _("The email text “%(name)s” cannot be used: %(problems)s")
            % {"name": text.name, "problems": " ".join(error.messages)},
            code="text_invalid",
        ) from error
    return RenderedText(
        subject=_subject_line(subject, values),
        body_text=placeholders.render_text(body, values).replace("\r\n", "\n"),
        body_html=placeholders.render_html(body, values),
    )


def _subject_line(segments: list[placeholders.Segment], values: dict[str, str]) -> str:
    """One line (no header injection); a subject that opens with the kind's name starts
    with a capital ("Factuur 2026-00001 …", not "factuur …")."""
    if segments and segments[0] == placeholders.Placeholder("document_kind"):
        kind = values["document_kind"]
        values = values | {"document_kind": kind[:1].upper() + kind[1:]}
    return " ".join(placeholders.render_text(segments, values).split())


def placeholder_values(document: Document, language: str) -> dict[str, str]:
    client = _client_facts(document)
    company = document.company
    iban = payment_account(document)[0]
    values = {
        "document_number": document.number or DRAFT_WORDS.get(language, DRAFT_WORDS["en"]),
        "document_kind": _kind_word(document, language),
        "client_name": client["name"],
        "contact_name": client["contact_name"] or client["name"],
        "amount_due": format_amount(document.amount_due, language, document.currency),
        "due_date": format_date(document.due_date, language),
        "issue_date": format_date(document.issue_date, language),
        "company_name": company.name,
        "structured_communication": document.structured_communication,
        "iban": format_iban(iban) if iban else "",
    }
    filled = {name: value or MISSING for name, value in values.items()}
    filled["payment_request"] = payment_request(
        language, filled, paid_in_full=is_paid_in_full(document)
    )
    assert set(filled) == set(placeholders.PLACEHOLDERS)
    return filled


def _client_facts(document: Document) -> dict[str, str]:
    """The client as it was when the document was finalized; the live client for drafts."""
    snapshot = document.client_snapshot or {}
    if snapshot:
        return {"name": snapshot.get("name", ""), "contact_name": snapshot.get("contact_name", "")}
    client = document.client
    if client is None:
        return {"name": "", "contact_name": ""}
    return {"name": client.name, "contact_name": client.contact_name}


def _kind_word(document: Document, language: str) -> str:
    if document.kind == DocumentKind.OTHER and document.title.strip():
        return document.title.strip()
    words = KIND_WORDS.get(language, KIND_WORDS["en"])
    return words.get(DocumentKind(document.kind), document.kind)


# Writes


def email_text_create(
    *, company: Company, kind: str, language: str, name: str, subject: str, body: str
) -> EmailText:
    text = EmailText(
        company=company, kind=kind, language=language, name=name, subject=subject, body=body
    )
    text.full_clean()
    text.save()
    return text


def email_text_update(text: EmailText, *, name: str, subject: str, body: str) -> EmailText:
    text.name, text.subject, text.body = name, subject, body
    text.full_clean()
    text.save(update_fields=["name", "subject", "body", "updated_at"])
    return text


def email_text_set_default(text: EmailText) -> EmailText:
    with transaction.atomic():
        EmailText.objects.select_for_update().filter(
            company_id=text.company_id, kind=text.kind, language=text.language
        ).exclude(pk=text.pk).update(is_default=False)
        text.is_default = True
        text.save(update_fields=["is_default", "updated_at"])
    return text


def email_text_reset(text: EmailText) -> EmailText:
    """Put the shipped subject and body of the text's kind and language back in ``text``."""
    shipped = shipped_text(text.kind, text.language)
    if shipped is None:
        raise ValidationError(
            _("Porto ships no text for this kind and language."), code="no_shipped_text"
        )
    text.subject, text.body = shipped.subject, shipped.body
    text.save(update_fields=["subject", "body", "updated_at"])
    return text


def email_text_delete(text: EmailText) -> None:
    if text.is_default:
        raise ValidationError(
            _(
                "“%(name)s” is the default text for this kind and language: make another text "
                "the default first."
            )
            % {"name": text.name},
            code="delete_default",
        )
    text.delete()
