"""Where an endpoint may point. In production (``DEBUG`` off and
``PORTO_WEBHOOKS_ALLOW_PRIVATE`` off) only https URLs whose name resolves to public addresses
only; checked when the URL is saved and again at every delivery, whose connection then goes
to the address that was checked (a name may resolve elsewhere by then)."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeURL(Exception):
    """A URL Porto will not post to; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # the name, for the Host header and TLS
    port: int
    address: str  # the checked address to connect to
    path: str


def private_allowed() -> bool:
    return bool(settings.DEBUG or settings.PORTO_WEBHOOKS_ALLOW_PRIVATE)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def target_checked(url: str) -> Target:
    """The URL's parts and the one address to connect to. Raises ``UnsafeURL``."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(_("Enter a web address that starts with https://."))
    if scheme != "https" and not private_allowed():
        raise UnsafeURL(_("Use https:// so that the events are encrypted on the way."))
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host:
        raise UnsafeURL(
            _("Enter a web address with a server name, e.g. https://example.com/hooks.")
        )
    port = port or (443 if scheme == "https" else 80)
    address = address_checked(host, port)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, address, path)


def address_checked(host: str, port: int) -> str:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(
            _("The server name %(host)s cannot be found; check the address.") % {"host": host}
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not private_allowed():
        for address in addresses:
            if not is_public(address):
                raise UnsafeURL(
                    _(
                        "%(host)s points to a local or private network address (%(address)s); "
                        "use an address reachable from the internet."
                    )
                    % {"host": host, "address": address}
                )
    return addresses[0]
