"""Login throttling: too many failed logins for a username, or from one client address,
within a window, and the login form refuses even the right password until the window has
passed (docs/security.md).

A username is locked after ``PORTO_LOGIN_FAILURES`` failures within
``PORTO_LOGIN_WINDOW_MINUTES`` (guessing one person's password); an address after
``PORTO_LOGIN_FAILURES_PER_IP`` (trying many usernames), higher because an office shares one
address. The lock lifts when the oldest counted failure leaves the window. Attempts refused
while locked are not counted, so a lock always ends; a successful login clears the
username's failures. The API's tokens are not a login form and are not counted here.
"""

import datetime
import ipaddress
import math

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from porto.accounts.models import LoginFailure


def window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PORTO_LOGIN_WINDOW_MINUTES)


def normalized_username(username: str) -> str:
    return username.strip().casefold()[:150]


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address: REMOTE_ADDR, or the header a proxy fills in
    (``PORTO_CLIENT_IP_HEADER``). None when it is not an IP address."""
    if request is None:
        return None
    header = settings.PORTO_CLIENT_IP_HEADER
    if header:
        raw = request.headers.get(header, "").split(",")[0]
    else:
        raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


def locked_until(failures: QuerySet[LoginFailure], limit: int, now: datetime.datetime):
    """When the lock over ``failures`` lifts, or None if they are fewer than ``limit``."""
    recent = failures.filter(at__gt=now - window()).order_by("-at")
    times = list(recent.values_list("at", flat=True)[:limit])
    if limit < 1 or len(times) < limit:
        return None
    return times[-1] + window()


def login_locked_until(username: str, ip: str | None) -> datetime.datetime | None:
    """The moment this username (or this address) may try again; None if it may now."""
    now = timezone.now()
    ends = [
        locked_until(
            LoginFailure.objects.filter(username=normalized_username(username)),
            settings.PORTO_LOGIN_FAILURES,
            now,
        )
    ]
    if ip is not None:
        ends.append(
            locked_until(
                LoginFailure.objects.filter(ip=ip), settings.PORTO_LOGIN_FAILURES_PER_IP, now
            )
        )
    return max((end for end in ends if end is not None), default=None)


def minutes_left(until: datetime.datetime) -> int:
    return max(1, math.ceil((until - timezone.now()).total_seconds() / 60))


def login_failure_record(username: str, ip: str | None) -> None:
    now = timezone.now()
    LoginFailure.objects.filter(at__lte=now - window()).delete()
    LoginFailure.objects.create(username=normalized_username(username), ip=ip, at=now)


def login_failures_clear(username: str) -> None:
    LoginFailure.objects.filter(username=normalized_username(username)).delete()
