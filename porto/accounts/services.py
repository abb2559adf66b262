"""Writes on the company: its profile (the seller on every new document)."""

from django.db import transaction

from porto.accounts.models import Company

PROFILE_FIELDS = (
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "kbo_number",
    "vat_number",
    "iban",
    "bic",
    "phone",
    "email",
    "default_language",
)


def company_profile_update(
    company: Company, changes: dict, *, logo=None, remove_logo: bool = False
) -> Company:
    """Apply ``changes`` (profile fields), a new ``logo`` or the logo's removal, all or
    nothing: the whole row is validated first (``Company.clean()`` stores identifiers in
    their compact form) and ValidationError names each wrong field. A replaced or removed
    logo file is deleted once the change is committed."""
    with transaction.atomic():
        stored = Company.objects.select_for_update().get(pk=company.pk)
        old_logo = stored.logo.name
        for name in PROFILE_FIELDS:
            if name in changes:
                setattr(stored, name, changes[name])
        if logo is not None:
            stored.logo = logo
        elif remove_logo:
            stored.logo = None
        stored.full_clean()
        stored.save()
        if old_logo and old_logo != stored.logo.name:
            storage = stored.logo.storage
            transaction.on_commit(lambda: storage.delete(old_logo))
    return stored
