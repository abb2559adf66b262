"""The clients resource's write path. The API's input goes through the very form the client
page uses (``porto.clients.forms``: ``ClientForm`` and the address formset), so the API and the
page accept the same values and refuse them with the same messages; then
``porto.clients.services.client_save`` writes, all or nothing.

``emails`` in a request is the client's whole list of addresses: an address already saved
keeps its id (matched case-insensitively), one left out is removed. Without ``emails`` (PATCH)
the addresses stay as they are.
"""

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS
from rest_framework.exceptions import ErrorDetail, ValidationError

from porto.clients import services
from porto.clients.forms import ClientForm, client_email_formset
from porto.clients.models import Client, ClientEmail

FORMSET_PREFIX = "emails"


@dataclass
class AddressRows:
    """The formset's rows: data in its POST form, and which request index each row came from."""

    data: dict = field(default_factory=dict)
    request_index: list[int | None] = field(default_factory=list)

    def add(self, values: dict, address: ClientEmail | None, index: int | None) -> None:
        """One row; ``index`` None: a saved address the request left out, to remove."""
        prefix = f"{FORMSET_PREFIX}-{len(self.request_index)}"
        self.data |= address_row(prefix, values, address, delete=index is None)
        self.request_index.append(index)


def client_fields(client: Client, given: dict) -> dict:
    """The form's data: the client's current values (a new one: the defaults), then ``given``."""
    data = {name: getattr(client, name) for name in ClientForm.Meta.fields}
    return data | {name: value for name, value in given.items() if name in data}


def address_row(prefix: str, values: dict, address: ClientEmail | None, delete=False) -> dict:
    row = {
        f"{prefix}-address": values.get("address", ""),
        f"{prefix}-label": values.get("label", ""),
    }
    if values.get("is_default"):
        row[f"{prefix}-is_default"] = "on"
    if address is not None:
        row[f"{prefix}-id"] = str(address.pk)
    if delete:
        row[f"{prefix}-DELETE"] = "on"
    return row


def as_values(address: ClientEmail) -> dict:
    return {"address": address.address, "label": address.label, "is_default": address.is_default}


def address_rows(client: Client, given: list[dict] | None) -> AddressRows:
    saved = list(client.emails.all()) if client.pk else []
    if given is None:
        given = [as_values(address) for address in saved]
    unmatched = {address.address.casefold(): address for address in saved}
    matched = [unmatched.pop(str(v.get("address", "")).strip().casefold(), None) for v in given]
    # The formset wants the saved rows first (INITIAL_FORMS): kept, then removed; then new.
    kept = [(index, address) for index, address in enumerate(matched) if address is not None]
    new = [index for index, address in enumerate(matched) if address is None]
    rows = AddressRows()
    for index, address in kept:
        rows.add(given[index], address, index)
    for address in unmatched.values():
        rows.add(as_values(address), address, None)
    for index in new:
        rows.add(given[index], None, index)
    rows.data |= {
        f"{FORMSET_PREFIX}-TOTAL_FORMS": str(len(rows.request_index)),
        f"{FORMSET_PREFIX}-INITIAL_FORMS": str(len(kept) + len(unmatched)),
    }
    return rows


def details(form_errors: dict, path: str = "") -> dict[str, list[ErrorDetail]]:
    """A form's errors (``errors.as_data()``) as API field errors, codes kept; the form's own
    (non-field) errors go under ``path`` itself."""
    found = {}
    for name, errors in form_errors.items():
        own = name == NON_FIELD_ERRORS
        key = (path.rstrip(".") or "non_field_errors") if own else path + name
        found[key] = [
            ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error.messages
        ]
    return found


def client_write(client: Client, given: dict) -> Client:
    """Check ``given`` (parsed by the input serializer) as the client page does, then save.
    Refused: a ValidationError naming each field (``emails.<index>.<field>`` per address)."""
    form = ClientForm(client_fields(client, given), instance=client)
    rows = address_rows(client, given.get("emails"))
    addresses = client_email_formset(rows.data, client)
    form_valid, addresses_valid = form.is_valid(), addresses.is_valid()
    if form_valid and addresses_valid:
        return services.client_save(form.save(commit=False), addresses.changes())
    errors = details(form.errors.as_data())
    for row, index in zip(addresses.forms, rows.request_index, strict=True):
        if row.errors and index is not None:
            errors |= details(row.errors.as_data(), f"emails.{index}.")
    if addresses.non_form_errors():
        errors |= details({NON_FIELD_ERRORS: addresses.non_form_errors().as_data()}, "emails.")
    raise ValidationError(errors)
