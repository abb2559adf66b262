from django.conf import settings
from django.http import HttpRequest


def sandbox(request: HttpRequest) -> dict:
    """Whether the menu shows the sandbox's test inbox (embedded default only)."""
    return {"sandbox_enabled": settings.PORTO_SANDBOX_ENABLED}
