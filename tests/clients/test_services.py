"""Client writes: a save is all or nothing, the default address can move to another row in
one save, and a client with documents is archived, never deleted."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from porto.clients.models import Client, ClientEmail
from porto.clients.services import (
    AddressChanges,
    client_archive,
    client_delete,
    client_save,
    client_unarchive,
)
from tests.factories import make_client, make_document

pytestmark = pytest.mark.django_db


def test_the_default_moves_to_another_address_in_one_save(company):
    client = make_client(company, emails=("first@klant.example", "second@klant.example"))
    first, second = client.emails.order_by("address")
    first.is_default, second.is_default = False, True
    client_save(client, AddressChanges(kept=[first, second]))
    assert client.default_email.address == "second@klant.example"


def test_removed_addresses_are_deleted_and_new_ones_added(company):
    client = make_client(company, emails=("old@klant.example",))
    old = client.emails.get()
    new = ClientEmail(address="new@klant.example", label="Boekhouding", is_default=True)
    client_save(client, AddressChanges(kept=[new], removed=[old]))
    assert list(client.emails.values_list("address", "label", "is_default")) == [
        ("new@klant.example", "Boekhouding", True)
    ]


def test_a_failed_save_leaves_nothing_half_saved(company):
    client = make_client(company, name="Oude Naam BV", emails=("a@klant.example",))
    client.name = "Nieuwe Naam BV"
    twice = [ClientEmail(address="b@klant.example"), ClientEmail(address="b@klant.example")]
    with pytest.raises(IntegrityError):
        client_save(client, AddressChanges(kept=twice, removed=list(client.emails.all())))
    client.refresh_from_db()
    assert client.name == "Oude Naam BV"
    assert list(client.emails.values_list("address", flat=True)) == ["a@klant.example"]


def test_archive_and_unarchive(company):
    client = make_client(company)
    client_archive(client)
    archived_at = Client.objects.get(pk=client.pk).archived_at
    assert archived_at is not None
    client_archive(client)  # twice keeps the first moment
    assert Client.objects.get(pk=client.pk).archived_at == archived_at
    client_unarchive(client)
    assert Client.objects.get(pk=client.pk).archived_at is None


def test_a_client_without_documents_is_deleted_with_its_addresses(company):
    client = make_client(company, emails=("a@klant.example", "b@klant.example"))
    client_delete(client)
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not ClientEmail.objects.filter(address="a@klant.example").exists()


def test_a_client_with_documents_is_not_deleted(company):
    client = make_client(company, name="Brouwerij Het Anker")
    make_document(company, client)
    with pytest.raises(ValidationError) as refused:
        client_delete(client)
    assert refused.value.messages == [
        "Brouwerij Het Anker has documents, so it cannot be deleted: archive it instead. "
        "Its documents stay available."
    ]
    assert Client.objects.filter(pk=client.pk).exists()
