"""The login forms (the app's and the admin's), throttled by ``porto.accounts.throttle``."""

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import ngettext

from porto.accounts import throttle


class ThrottledLoginMixin:
    """Refuses a locked username or address before the password is even checked, counts a
    failure, and clears the username's failures on success."""

    request: HttpRequest | None
    cleaned_data: dict
    user_cache: Any  # the user AuthenticationForm found, or None
    throttled: str = ""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request)
        until = throttle.login_locked_until(username, ip)
        if until is not None:
            minutes = throttle.minutes_left(until)
            self.throttled = ngettext(
                "Too many failed attempts to log in. Try again in %(minutes)d minute.",
                "Too many failed attempts to log in. Try again in %(minutes)d minutes.",
                minutes,
            ) % {"minutes": minutes}
            raise forms.ValidationError(self.throttled, code="throttled")
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            throttle.login_failure_record(username, ip)
            raise
        if self.user_cache is not None:  # an empty password checks nothing: it clears nothing
            throttle.login_failures_clear(username)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
