"""Resend signs its webhooks with Svix: anymail checks the signature, Porto its time."""

from django.http import HttpRequest


def svix_timestamp(request: HttpRequest) -> object:
    return request.headers.get("svix-timestamp") or request.headers.get("webhook-timestamp")


def svix_id(request: HttpRequest) -> str:
    return request.headers.get("svix-id") or request.headers.get("webhook-id") or ""
