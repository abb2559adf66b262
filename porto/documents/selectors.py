"""Reads of documents for pages and the API."""

from django.db.models import F, Q, QuerySet

from porto.accounts.models import Company
from porto.documents.models import Document
from porto.lib.search import search_key


def document_search_q(search: str) -> Q:
    """Documents whose number or buyer reference contains ``search`` (case ignored), or whose
    client's name does with case and accents ignored (``Client.search_name``): "societe"
    finds "Société" on every database."""
    return (
        Q(number__icontains=search)
        | Q(buyer_reference__icontains=search)
        | Q(client__search_name__contains=search_key(search))
    )


def document_list(
    company: Company, *, kind: str = "", status: str = "", search: str = ""
) -> QuerySet[Document]:
    documents = Document.objects.filter(company=company).select_related("client")
    if kind:
        documents = documents.filter(kind=kind)
    if status == "sent":
        documents = documents.filter(sent_at__isnull=False)
    elif status:
        documents = documents.filter(status=status)
    if search:
        documents = documents.filter(document_search_q(search))
    # Drafts (no issue date yet) first on every database; SQLite and PostgreSQL disagree
    # on where NULLs go by default.
    return documents.order_by(F("issue_date").desc(nulls_first=True), "-pk")
