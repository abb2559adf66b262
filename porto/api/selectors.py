"""Reads of the API app."""

from django.db.models import QuerySet

from porto.accounts.models import Company
from porto.api.models import ApiToken, secret_hash


def token_for_secret(secret: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("company").filter(secret_hash=secret_hash(secret)).first()
    )


def company_tokens(company: Company) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(company=company).select_related("created_by")
