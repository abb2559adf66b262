"""Which company a request acts for: the token's, or (with a session) the user's current one."""

from django.http import Http404
from rest_framework import permissions
from rest_framework.request import Request

from porto.accounts import access
from porto.accounts.models import Company
from porto.api.models import ApiToken


def api_company(request: Request) -> Company:
    """The one company every read and write of the request is scoped to."""
    if isinstance(request.auth, ApiToken):
        return request.auth.company
    return access.current_company(request)  # DRF proxies the session


class ActsForACompany(permissions.BasePermission):
    """A token, or a signed-in member of some company (others: 401, or 404 for no company)."""

    def has_permission(self, request: Request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            return True
        if not (request.user and request.user.is_authenticated):
            return False
        try:
            api_company(request)
        except Http404:
            return False
        return True
