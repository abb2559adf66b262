"""The open-tracking pixel: its signed per-recipient token, its image, and who opened.

The token signs ``<recipient id>.<random key>``: the signature makes it unforgeable, the
random key (at least 128 bits, stored on the recipient) makes a leaked SECRET_KEY alone not
enough to mark someone else's email as read, and lets the key be rotated per recipient.

An open is classified human or automatic (docs/tracking.md gives the evidence):

- Gmail's and Yahoo's image proxies fetch the image when the person opens the message, on
  the person's behalf: a person's open, unless it comes within PORTO_PIXEL_MACHINE_SECONDS of
  delivery (too soon for a person: a prefetch or a scan).
- Apple Mail Privacy Protection (prefetches on delivery, whether or not anyone reads), link
  and security scanners, headless browsers and HTTP libraries are automatic: they prove
  delivery, not a read. So is anything else within those seconds of delivery.
"""

import ipaddress
import re
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from porto.mail.keys import pixel_key_new  # noqa: F401 - migration 0002 names it here

# A 1x1 transparent GIF (GIF89a, one transparent palette entry).
PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
    b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
PIXEL_CONTENT_TYPE = "image/gif"

IPNetwork = IPv4Network | IPv6Network

_SALT = "porto.mail.feedback.pixel"
_SEP = "."
_KEY_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")  # 22 URL-safe base64 characters = 132 bits
_ID_RE = re.compile(r"[1-9][0-9]{0,18}")
_MAX_TOKEN_LENGTH = 200


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


# Image proxies that fetch on the person's behalf when the person opens the message:
# (case-insensitive pattern in the User-Agent, which proxy).
PERSON_PROXY_USER_AGENTS: tuple[tuple[str, str], ...] = (
    ("GoogleImageProxy", N_("Gmail's image proxy")),
    (r"via ggpht\.com", N_("Gmail's image proxy")),
    ("YahooMailProxy", N_("Yahoo Mail's image proxy")),
)
# Gmail's image proxy fetches from Google's own networks: (network, which proxy).
PERSON_PROXY_NETWORKS: tuple[tuple[str, str], ...] = (
    ("66.102.0.0/20", N_("Gmail's image proxy")),
    ("66.249.80.0/20", N_("Gmail's image proxy")),
)

# Loads that are never a person: (case-insensitive pattern in the User-Agent, who it is).
MACHINE_USER_AGENTS: tuple[tuple[str, str], ...] = (
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


def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(pattern, re.IGNORECASE), who) for pattern, who in table)


def _networks(table: tuple[tuple[str, str], ...]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(network), who) for network, who in table)


_PERSON_PROXY_PATTERNS = _compiled(PERSON_PROXY_USER_AGENTS)
_MACHINE_PATTERNS = _compiled(MACHINE_USER_AGENTS)

# Apple Mail Privacy Protection fetches images with exactly this user agent.
APPLE_PROXY_USER_AGENT = "Mozilla/5.0"

# Networks whose image loads are never a person: (network, who).
MACHINE_NETWORKS: tuple[tuple[str, str], ...] = (
    ("17.0.0.0/8", N_("Apple Mail Privacy Protection")),  # Apple's own network (AS714)
    # Exchange Online Protection (Microsoft's published ranges): Safe Links, previews.
    ("40.92.0.0/15", N_("Microsoft 365's mail protection")),
    ("40.107.0.0/16", N_("Microsoft 365's mail protection")),
    ("52.100.0.0/14", N_("Microsoft 365's mail protection")),
    ("104.47.0.0/17", N_("Microsoft 365's mail protection")),
    ("132.245.0.0/16", N_("Outlook.com's link preview")),
)
_PERSON_PROXY_NETWORKS = _networks(PERSON_PROXY_NETWORKS)
_MACHINE_NETWORKS = _networks(MACHINE_NETWORKS)


def _machine_seconds() -> float:
    return float(getattr(settings, "PORTO_PIXEL_MACHINE_SECONDS", 10))


def _user_agent_match(user_agent: str, patterns) -> str | None:
    for pattern, who in patterns:
        if pattern.search(user_agent):
            return who
    return None


def _network_match(remote_ip: str | None, networks) -> str | None:
    try:
        address = ipaddress.ip_address((remote_ip or "").strip())
    except ValueError:
        return None
    for network, who in networks:
        if address in network:
            return who
    return None


def _machine(user_agent: str, remote_ip: str | None) -> str | None:
    """Who loaded the image, when it is never a person."""
    if user_agent.strip() == APPLE_PROXY_USER_AGENT:
        return N_("Apple Mail Privacy Protection")
    return _user_agent_match(user_agent, _MACHINE_PATTERNS) or _network_match(
        remote_ip, _MACHINE_NETWORKS
    )


def _person_proxy(user_agent: str, remote_ip: str | None) -> str | None:
    """Which image proxy loaded the image on a person's behalf, if one did."""
    return _user_agent_match(user_agent, _PERSON_PROXY_PATTERNS) or _network_match(
        remote_ip, _PERSON_PROXY_NETWORKS
    )


def _too_soon(seconds_since_delivery: float | None) -> bool:
    return seconds_since_delivery is not None and seconds_since_delivery < _machine_seconds()


def _too_soon_kind(seconds_since_delivery: float) -> OpenKind:
    return OpenKind(
        True,
        _("opened automatically %(seconds)d seconds after delivery, too soon for a person")
        % {"seconds": max(0, int(seconds_since_delivery))},
    )


def classify_open(
    user_agent: str | None, remote_ip: str | None, seconds_since_delivery: float | None
) -> OpenKind:
    """Human or automatic open of the pixel (or of a provider's pixel, without timing)."""
    agent = user_agent or ""
    if not agent.strip():
        return OpenKind(True, _("opened automatically: the request named no mail client"))
    if who := _machine(agent, remote_ip):
        return OpenKind(True, _("opened automatically by %(who)s") % {"who": _(who)})
    if _too_soon(seconds_since_delivery):
        return _too_soon_kind(seconds_since_delivery or 0)
    if proxy := _person_proxy(agent, remote_ip):
        return OpenKind(False, _("opened by the recipient through %(proxy)s") % {"proxy": _(proxy)})
    return OpenKind(False, _("opened by the recipient's mail client"))
