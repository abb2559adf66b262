"""The open-tracking pixel: its signed per-recipient token, its image, and who opened.

The token signs ``<recipient id>.<random key>``: the signature makes it unforgeable, the
random key (at least 128 bits, stored on the recipient) makes a leaked SECRET_KEY alone not
enough to mark someone else's email as read, and lets the key be rotated per recipient.

An open is classified human or automatic. Image proxies (Apple Mail Privacy Protection,
Gmail, Yahoo), link and security scanners, and anything that loads the image within a few
seconds of delivery are automatic: they prove delivery, not a read.
"""

import ipaddress
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

# A 1x1 transparent GIF (GIF89a, one transparent palette entry).
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
PIXEL_CONTENT_TYPE = "image/gif"

_SALT = "porto.mail.feedback.pixel"
_SEP = "."
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")  # 22 URL-safe base64 characters = 132 bits
_ID_RE = re.compile(r"[1-9][0-9]{0,18}")
_MAX_TOKEN_LENGTH = 200


def pixel_key_new() -> str:
    """A fresh random key for a recipient (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT, sep=_SEP)


def pixel_token(recipient_id: int, key: str) -> str:
    """The URL-safe token of one recipient's pixel."""
    if not isinstance(recipient_id, int) or recipient_id < 1:
        raise ValueError("recipient_id must be a positive integer")
    if not _KEY_RE.fullmatch(key):
        raise ValueError("key must be 22 to 64 URL-safe characters (use pixel_key_new())")
    return _signer().sign(f"{recipient_id}{_SEP}{key}")


def pixel_token_read(token: object) -> tuple[int, str] | None:
    """``(recipient_id, key)`` of a genuine token; None for anything else. Never raises."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH:
        return None
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    recipient_id, sep, key = value.partition(_SEP)
    if not sep or not _ID_RE.fullmatch(recipient_id) or not _KEY_RE.fullmatch(key):
        return None
    return int(recipient_id), key


@dataclass(frozen=True)
class OpenKind:
    machine: bool
    reason: str


# (case-insensitive pattern in the User-Agent, who it is). Proxies first, then scanners.
MACHINE_USER_AGENTS: tuple[tuple[str, str], ...] = (
    ("GoogleImageProxy", N_("Gmail's image proxy")),
    (r"via ggpht\.com", N_("Gmail's image proxy")),
    ("YahooMailProxy", N_("Yahoo Mail's image proxy")),
    ("BingPreview", N_("Microsoft's link preview")),
    ("SafeLinks", N_("Microsoft Defender Safe Links")),
    ("Microsoft Office Protocol Discovery", N_("Microsoft 365's link scanner")),
    ("Barracuda", N_("Barracuda's email scanner")),
    ("Mimecast", N_("Mimecast's email scanner")),
    ("Proofpoint", N_("Proofpoint's email scanner")),
    ("MessageLabs", N_("Symantec's email scanner")),
    ("Trend Micro", N_("Trend Micro's email scanner")),
    ("Forcepoint", N_("Forcepoint's email scanner")),
    ("Sophos", N_("Sophos' email scanner")),
    ("HeadlessChrome", N_("an automated browser")),
    ("python-requests", N_("an automated client")),
    ("Go-http-client", N_("an automated client")),
    (r"\bcurl/", N_("an automated client")),
    (r"\bWget/", N_("an automated client")),
    (r"\bJava/", N_("an automated client")),
    (r"\bbot\b|\w+bot/", N_("a bot")),  # "bot", "Googlebot/2.1"; not a "Cubot" phone
    (r"crawler|spider", N_("a bot")),
)
_USER_AGENT_PATTERNS = tuple(
    (re.compile(pattern, re.IGNORECASE), who) for pattern, who in MACHINE_USER_AGENTS
)

# Apple Mail Privacy Protection fetches images with exactly this user agent.
APPLE_PROXY_USER_AGENT = "Mozilla/5.0"

# Networks whose image loads are proxies, not people: (network, who).
MACHINE_NETWORKS: tuple[tuple[str, str], ...] = (
    ("17.0.0.0/8", N_("Apple Mail Privacy Protection")),  # Apple's own network (AS714)
    ("66.102.0.0/20", N_("Gmail's image proxy")),
    ("66.249.80.0/20", N_("Gmail's image proxy")),
    # Exchange Online Protection (Microsoft's published ranges): Safe Links, previews.
    ("40.92.0.0/15", N_("Microsoft 365's mail protection")),
    ("40.107.0.0/16", N_("Microsoft 365's mail protection")),
    ("52.100.0.0/14", N_("Microsoft 365's mail protection")),
    ("104.47.0.0/17", N_("Microsoft 365's mail protection")),
    ("132.245.0.0/16", N_("Outlook.com's link preview")),
)
_NETWORKS = tuple((ipaddress.ip_network(net), who) for net, who in MACHINE_NETWORKS)


def _machine_seconds() -> float:
    return float(getattr(settings, "PORTO_PIXEL_MACHINE_SECONDS", 10))


def _user_agent_machine(user_agent: str) -> str | None:
    if user_agent.strip() == APPLE_PROXY_USER_AGENT:
        return N_("Apple Mail Privacy Protection")
    for pattern, who in _USER_AGENT_PATTERNS:
        if pattern.search(user_agent):
            return who
    return None


def _network_machine(remote_ip: str | None) -> str | None:
    try:
        address = ipaddress.ip_address((remote_ip or "").strip())
    except ValueError:
        return None
    for network, who in _NETWORKS:
        if address in network:
            return who
    return None


def classify_open(
    user_agent: str | None, remote_ip: str | None, seconds_since_delivery: float | None
) -> OpenKind:
    """Human or automatic open of the pixel (or of a provider's pixel, without timing)."""
    if not (user_agent or "").strip():
        return OpenKind(True, _("opened automatically: the request named no mail client"))
    who = _user_agent_machine(user_agent or "") or _network_machine(remote_ip)
    if who:
        return OpenKind(True, _("opened automatically by %(who)s") % {"who": _(who)})
    if seconds_since_delivery is not None and seconds_since_delivery < _machine_seconds():
        return OpenKind(
            True,
            _("opened automatically %(seconds)d seconds after delivery, too soon for a person")
            % {"seconds": max(0, int(seconds_since_delivery))},
        )
    return OpenKind(False, _("opened by the recipient's mail client"))
