"""A rate limit per token (or per signed-in user), counted in Django's cache."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from porto.api.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self) -> str:
        return settings.PORTO_API_RATE  # read per request, so settings may change it

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            return f"throttle-api-token-{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"throttle-api-user-{request.user.pk}"
        return None  # refused by authentication anyway
