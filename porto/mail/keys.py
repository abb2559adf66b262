"""Random keys the mail rows are created with (beside the models, which use them as
defaults; the modules that check them import them from here)."""

import secrets


def pixel_key_new() -> str:
    """A fresh random key for a recipient's open pixel (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)
