"""Reads of documents for pages and the API."""

from django.db.models import F, Q, QuerySet

from porto.accounts.models import Company
from porto.documents.models import Document


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
        documents = documents.filter(
            Q(number__icontains=search) | Q(client__name__icontains=search)
        )
    # Drafts (no issue date yet) first on every database; SQLite and PostgreSQL disagree
    # on where NULLs go by default.
    return documents.order_by(F("issue_date").desc(nulls_first=True), "-pk")
