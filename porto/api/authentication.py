"""``Authorization: Bearer porto_<secret>``: the token names the company every request acts
for (``request.auth.company``). A request without the header falls through to the session
(the app's own pages, with DRF's CSRF check)."""

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from porto.api.models import SECRET_BYTES, TOKEN_PREFIX, ApiToken
from porto.api.selectors import token_for_secret
from porto.api.services import token_touch

SCHEME = "Bearer"
# token_urlsafe(32) gives 43 characters of the URL-safe base64 alphabet.
SECRET_PATTERN = re.compile(rf"{TOKEN_PREFIX}[A-Za-z0-9_-]{{{-(-SECRET_BYTES * 4 // 3)}}}")


class TokenRevoked(exceptions.AuthenticationFailed):
    default_code = "token_revoked"
    default_detail = _(
        "This token is revoked: an owner can create a new one in Settings > API tokens."
    )


class TokenUser:
    """Who acts with a token: the company's integration, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None
    id = None

    def __init__(self, token: ApiToken) -> None:
        self.token = token
        self.username = f"token:{token.prefix}"

    def __str__(self) -> str:
        return self.username


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[TokenUser, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _space, secret = header.strip().partition(" ")
        if scheme.lower() != SCHEME.lower():
            return None  # no token: the session may still authenticate
        secret = secret.strip()
        if not SECRET_PATTERN.fullmatch(secret):
            raise exceptions.AuthenticationFailed(
                _(
                    "The token is malformed: send the header as 'Authorization: Bearer "
                    "porto_…' with the whole token you copied when it was created."
                )
            )
        token = token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This token is not known: check that you copied the whole token.")
            )
        if token.is_revoked:
            raise TokenRevoked()
        token_touch(token)
        return TokenUser(token), token

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="api"'
