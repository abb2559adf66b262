"""Writes of clients: save with its addresses, archive, unarchive, delete."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from porto.clients.models import Client, ClientEmail


@dataclass
class AddressChanges:
    """The client's addresses after a save (new or changed rows) and the rows removed."""

    kept: list[ClientEmail] = field(default_factory=list)
    removed: list[ClientEmail] = field(default_factory=list)


@transaction.atomic
def client_save(client: Client, addresses: AddressChanges) -> Client:
    """Save the client and its addresses together: all or nothing. The caller has checked
    them (porto.clients.forms); the database constraints are the last word."""
    client.save()
    removed = [address.pk for address in addresses.removed if address.pk]
    client.emails.filter(pk__in=removed).delete()
    # Another row may become the default: clear the old one first (one default per client).
    client.emails.filter(is_default=True).update(is_default=False)
    for address in addresses.kept:
        address.client = client
        address.save()
    return client


def client_archive(client: Client) -> Client:
    """Hide the client from the list and from new documents; its documents stay."""
    if client.archived_at is None:
        client.archived_at = timezone.now()
        client.save(update_fields=["archived_at"])
    return client


def client_unarchive(client: Client) -> Client:
    client.archived_at = None
    client.save(update_fields=["archived_at"])
    return client


def client_delete_problem(client: Client) -> str:
    """Why the client cannot be deleted, or "" when it can."""
    if client.documents.exists():
        return _(
            "%(name)s has documents, so it cannot be deleted: archive it instead. "
            "Its documents stay available."
        ) % {"name": client.name}
    return ""


@transaction.atomic
def client_delete(client: Client) -> None:
    """Delete a client without documents, with its addresses. A client with documents is
    refused (a document is a record that keeps its client): archive it instead."""
    problem = client_delete_problem(client)
    if problem:
        raise ValidationError(problem, code="has_documents")
    client.delete()
