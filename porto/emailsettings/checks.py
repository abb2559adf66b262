"""Deployment check: production keeps its own keys for the stored mailbox passwords."""

from django.conf import settings
from django.core.checks import Warning, register
from django.core.exceptions import ImproperlyConfigured

from porto.lib import crypto


@register(deploy=True)
def fernet_keys_configured(app_configs, **kwargs) -> list[Warning]:
    if getattr(settings, "PORTO_FERNET_KEYS", []):
        try:
            crypto.fernet()
        except ImproperlyConfigured as error:
            return [Warning(str(error), id="porto.W601")]
        return []
    return [
        Warning(
            "PORTO_FERNET_KEYS is not set: mailbox passwords are encrypted with a key derived "
            "from SECRET_KEY, so changing SECRET_KEY makes them unreadable.",
            hint="Set PORTO_FERNET_KEYS to one or more Fernet keys (newest first).",
            id="porto.W600",
        )
    ]
