"""Reads of clients for pages and for other apps."""

import re

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from porto.accounts.models import Company
from porto.clients.models import Client, ClientEmail
from porto.lib.search import search_key

_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Za-z]")


def search_filter(query: str) -> Q:
    """Clients whose name or contact, VAT or KBO/BCE number, or one of whose email addresses
    contains ``query``: accents and case ignored, numbers matched as typed with or without
    dots and spaces."""
    matches = Q(search_name__contains=search_key(query))
    compact = _NOT_ALPHANUMERIC.sub("", query).upper()
    if any(ch.isdigit() for ch in compact):
        digits = compact[2:] if compact.startswith("BE") else compact
        matches |= Q(vat_number__contains=compact) | Q(kbo_number__contains=digits)
    addresses = ClientEmail.objects.filter(client=OuterRef("pk"), address__icontains=query)
    return matches | Q(Exists(addresses))


def client_list(
    company: Company, *, search: str = "", show_archived: bool = False
) -> QuerySet[Client]:
    """The company's clients by name, each with its addresses and ``document_count``: the same
    number of queries for any number of clients."""
    clients = Client.objects.filter(company=company)
    if not show_archived:
        clients = clients.filter(archived_at__isnull=True)
    if search.strip():
        clients = clients.filter(search_filter(search.strip()))
    return (
        clients.annotate(document_count=Count("documents"))
        .prefetch_related("emails")
        .order_by("name", "pk")
    )


def clients_for_new_documents(company: Company) -> QuerySet[Client]:
    """The clients a new document may be made for: the active ones (archived are not offered)."""
    return Client.objects.filter(company=company, archived_at__isnull=True).order_by("name", "pk")


def client_has_documents(client: Client) -> bool:
    return client.documents.exists()
