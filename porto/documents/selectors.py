"""Reads of documents for pages and the API."""

import copy
import datetime

from django.db.models import F, Q, QuerySet, prefetch_related_objects

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
    company: Company,
    *,
    kind: str = "",
    status: str = "",
    search: str = "",
    client: int | None = None,
    issued_from: datetime.date | None = None,
    issued_until: datetime.date | None = None,
    number: str = "",
) -> QuerySet[Document]:
    """The company's documents; ``status`` is draft, finalized or sent."""
    documents = Document.objects.filter(company=company).select_related("client")
    if kind:
        documents = documents.filter(kind=kind)
    if client is not None:
        documents = documents.filter(client_id=client)
    if issued_from:
        documents = documents.filter(issue_date__gte=issued_from)
    if issued_until:
        documents = documents.filter(issue_date__lte=issued_until)
    if number:
        documents = documents.filter(number__icontains=number)
    if status == "sent":
        documents = documents.filter(sent_at__isnull=False)
    elif status:
        documents = documents.filter(status=status)
    if search:
        documents = documents.filter(document_search_q(search))
    # Drafts (no issue date yet) first on every database; SQLite and PostgreSQL disagree
    # on where NULLs go by default.
    return documents.order_by(F("issue_date").desc(nulls_first=True), "-pk")


def document_with_parts(document: Document) -> Document:
    """``document`` with its lines (with their allowances and charges) and its own allowances
    and charges read in three queries, whatever the number of lines. The PDF and the UBL walk
    the lines twice (the totals, then the rows) and read each line's allowances and charges on
    every walk: 13 queries for three lines before. A copy, so that the caller's instance keeps
    no prefetched lines that a later edit would leave stale."""
    loaded = copy.copy(document)
    vars(loaded).pop("_prefetched_objects_cache", None)
    prefetch_related_objects([loaded], "lines__allowance_charges", "allowance_charges")
    return loaded
