"""Reads of email texts: the overview table and the documents a preview can use."""

from dataclasses import dataclass, field

from django.db.models import Case, QuerySet, Value, When

from porto.accounts.models import Company
from porto.documents.models import Document, DocumentKind
from porto.emailtexts.models import EmailText, TextKind
from porto.emailtexts.services import email_texts_ensure_defaults
from porto.lib.languages import Language

PREVIEW_CHOICES = 25


@dataclass
class TextCell:
    language: str
    language_label: str
    texts: list[EmailText] = field(default_factory=list)


@dataclass
class TextRow:
    kind: str
    kind_label: str
    cells: list[TextCell]


def email_text_table(company: Company) -> list[TextRow]:
    """Every kind and language with its texts, the default first."""
    email_texts_ensure_defaults(company)
    texts = list(EmailText.objects.filter(company=company))
    rows = []
    for kind, kind_label in TextKind.choices:
        cells = [
            TextCell(
                language,
                str(language_label),
                [t for t in texts if t.kind == kind and t.language == language],
            )
            for language, language_label in Language.choices
        ]
        rows.append(TextRow(kind, str(kind_label), cells))
    return rows


def preview_documents(company: Company, kind: str) -> QuerySet[Document]:
    """Documents of the company to preview a text with: those of the text's kind (invoices
    for a reminder), finalized ones first; any document if there are none of that kind."""
    document_kind = DocumentKind.INVOICE if kind == TextKind.REMINDER else kind
    documents = Document.objects.filter(company=company).select_related("client", "company")
    same_kind = documents.filter(kind=document_kind)
    chosen = same_kind if same_kind.exists() else documents
    drafts_last = Case(When(status=Document.Status.DRAFT, then=Value(1)), default=Value(0))
    return chosen.order_by(drafts_last, "-issue_date", "-pk")
