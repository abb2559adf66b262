"""Mailgun signs only a timestamp and a token, not the body: anymail checks the signature,
Porto the time, and the token names one delivery (a replay with another body is refused)."""

import json

from django.http import HttpRequest

from porto.mail.providers.base.auth import json_field


def mailgun_timestamp(request: HttpRequest) -> object:
    if request.content_type == "application/json":
        try:
            return json.loads(request.body)["signature"]["timestamp"]
        except (ValueError, KeyError, TypeError):
            return None
    return request.POST.get("timestamp")


def mailgun_token(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        return json_field(request.body, "signature", "token")
    return str(request.POST.get("token", ""))
