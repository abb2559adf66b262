"""The circuit breaker of each way out: own SMTP per server account, the platform's provider
per account. A wrong password must not cost 50 refused logins and 50 failed invoices.

A session that fails for a reason of the way itself (``TransportError.way_down``: login or
API key refused, server unreachable or refusing the connection, TLS refused) says nothing
about the recipients: the email is never failed for it, it waits (``held=paused``). After
PORTO_MAIL_BREAKER_FAILURES such failures in a row the way is paused: the gate
(``porto.mail.gate``) holds every email of it untried, also the rest of a batch being sent
(``BatchBreakers``). After PORTO_MAIL_BREAKER_PAUSE one email tries again (the probe, taken by
one conditional UPDATE): its success closes the breaker and wakes every held email, its
failure pauses again, twice as long each time up to PORTO_MAIL_BREAKER_PAUSE_MAX. Saving the
company's email settings closes its own-SMTP breakers at once (``breaker_settings_saved``).

Held emails never count towards giving up: their attempt is taken back, and when the way
resumes their retry window (PORTO_MAIL_RETRY_FOR) starts again from that moment.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from porto.mail.models import OutgoingEmail, TransportBreaker, TransportName
from porto.mail.sent_through import configured_provider, provider_account, smtp_account
from porto.mail.transports.base import TransportError

PAUSED = OutgoingEmail.Held.PAUSED


@dataclass(frozen=True)
class Way:
    """One way out, as the breaker knows it."""

    key: str
    transport: str
    company_id: int | None
    account: str

    def held_emails(self):
        """The queued emails held for this way."""
        emails = OutgoingEmail.objects.filter(
            state=OutgoingEmail.State.QUEUED, held=PAUSED, transport=self.transport
        )
        return emails.filter(company_id=self.company_id) if self.company_id else emails


def way_of(email: OutgoingEmail) -> Way | None:
    """The way ``email`` goes today; None for the sandbox (it is on this machine)."""
    if email.transport == TransportName.SMTP:
        account = smtp_account(email)
        key = f"smtp:{email.company_id}:{account}"
        return Way(key, TransportName.SMTP.value, email.company_id, account)
    if email.transport == TransportName.PROVIDER:
        account = provider_account(configured_provider())
        return Way(f"provider:{account}", TransportName.PROVIDER.value, None, account)
    return None


def pause_length(probes_failed: int) -> datetime.timedelta:
    seconds = settings.PORTO_MAIL_BREAKER_PAUSE * 2**probes_failed
    return datetime.timedelta(seconds=min(seconds, settings.PORTO_MAIL_BREAKER_PAUSE_MAX))


def retry_after_failure(failures: int) -> datetime.timedelta:
    """Before the breaker opens, an email whose session failed waits like a retry."""
    seconds = settings.PORTO_MAIL_RETRY_FIRST_DELAY * 2 ** max(failures - 1, 0)
    return datetime.timedelta(seconds=min(seconds, settings.PORTO_MAIL_BREAKER_PAUSE))


# --- the gate's check ----------------------------------------------------------------------


class WaysOf:
    """The way of each email, worked out once per (transport, company)."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, int], Way | None] = {}

    def __call__(self, email: OutgoingEmail) -> Way | None:
        pair = (email.transport, email.company_id)
        if pair not in self.known:
            self.known[pair] = way_of(email)
        return self.known[pair]


def breaker_holds(
    emails: list[OutgoingEmail], now: datetime.datetime
) -> dict[int, datetime.datetime]:
    """The gate's first check: emails of a paused way wait until its probe (the moment they
    may go, per email); when the probe is due, one email of the batch takes it and the others
    wait for the next one."""
    ways = WaysOf()
    by_key: dict[str, list[OutgoingEmail]] = {}
    for email in emails:
        if (way := ways(email)) is not None:
            by_key.setdefault(way.key, []).append(email)
    if not by_key:
        return {}
    waits: dict[int, datetime.datetime] = {}
    for breaker in TransportBreaker.objects.filter(key__in=list(by_key), opened_at__isnull=False):
        held = by_key[breaker.key]
        if probe_claim(breaker, now):
            held = held[1:]  # the first email is the probe
        until = breaker.probe_at or now
        waits |= {email.pk: until for email in held}
    return waits


def probe_claim(breaker: TransportBreaker, now: datetime.datetime) -> bool:
    """Take the probe if it is due: one conditional UPDATE moves the next probe on, as if this
    one failed, so exactly one caller wins (and a probe lost with its worker is tried again)."""
    if breaker.probe_at is None or breaker.probe_at > now:
        return False
    next_probe = now + pause_length(breaker.probes_failed + 1)
    won = TransportBreaker.objects.filter(pk=breaker.pk, probe_at=breaker.probe_at).update(
        probe_at=next_probe
    )
    breaker.probe_at = next_probe
    return bool(won)


# --- the batch: failures, successes, the rest of the batch ---------------------------------


@dataclass
class BatchBreakers:
    """One batch's view of the breakers of its ways. Nothing is read while a way works; after
    a failure of a way in this batch, its breaker is read again before each hand-off on it, so
    the rest of the batch waits as soon as it opens (here or in another worker)."""

    ways: WaysOf = field(default_factory=WaysOf)
    failing: dict[str, TransportBreaker | None] = field(default_factory=dict)
    loaded: dict[str, TransportBreaker | None] = field(default_factory=dict)

    def paused_until(self, email: OutgoingEmail) -> datetime.datetime | None:
        """Until when ``email`` waits, if its way was paused during this batch."""
        way = self.ways(email)
        if way is None or way.key not in self.failing:
            return None
        breaker = TransportBreaker.objects.filter(key=way.key).first()
        self.failing[way.key] = breaker
        if breaker is None or not breaker.is_open or breaker.probe_at is None:
            return None
        return breaker.probe_at

    def failed(
        self, email: OutgoingEmail, error: TransportError, now: datetime.datetime
    ) -> datetime.datetime | None:
        """Count a session failure of ``email``'s way; until when the email waits (None: not
        a failure of the way, or a way without a breaker: recorded as usual)."""
        way = self.ways(email)
        if way is None or error.way_down is None:
            return None
        breaker = breaker_failure(way, error, now)
        self.failing[way.key] = breaker
        if breaker.is_open and breaker.probe_at is not None:
            return breaker.probe_at
        return now + retry_after_failure(breaker.failures)

    def worked(self, email: OutgoingEmail, now: datetime.datetime) -> None:
        """A session of ``email``'s way worked: its breaker closes, if it has one."""
        way = self.ways(email)
        if way is None:
            return
        if way.key not in self.failing and way.key not in self.loaded:
            self.loaded[way.key] = TransportBreaker.objects.filter(key=way.key).first()
        if self.failing.get(way.key) or self.loaded.get(way.key):
            breaker_close(way, now)
        self.failing.pop(way.key, None)
        self.loaded[way.key] = None


def breaker_failure(way: Way, error: TransportError, now: datetime.datetime) -> TransportBreaker:
    """One more failure in a row; the breaker opens at PORTO_MAIL_BREAKER_FAILURES, and a
    failed probe pauses again for longer."""
    with transaction.atomic():
        breaker = breaker_row(way, now)
        breaker.failures += 1
        breaker.kind = str(error.way_down)
        breaker.reason = error.message
        breaker.code = error.code
        breaker.failed_at = now
        if breaker.is_open:
            breaker.probes_failed += 1
            breaker.probe_at = now + pause_length(breaker.probes_failed)
        elif breaker.failures >= settings.PORTO_MAIL_BREAKER_FAILURES:
            breaker.opened_at = now
            breaker.probe_at = now + pause_length(0)
        breaker.save()
    return breaker


def breaker_row(way: Way, now: datetime.datetime) -> TransportBreaker:
    """The way's breaker, locked (made on its first failure)."""
    rows = TransportBreaker.objects.select_for_update()
    try:
        with transaction.atomic():
            breaker, _ = rows.get_or_create(
                key=way.key,
                defaults={
                    "transport": way.transport,
                    "company_id": way.company_id,
                    "account": way.account[:255],
                    "failed_at": now,
                },
            )
    except IntegrityError:  # another worker made it at the same moment
        breaker = rows.get(key=way.key)
    return breaker


def breaker_close(way: Way, now: datetime.datetime) -> list[int]:
    """The way works again: forget its failures and make its held emails due now."""
    TransportBreaker.objects.filter(key=way.key).delete()
    return emails_resume(way.held_emails(), now)


def emails_resume(held, now: datetime.datetime) -> list[int]:
    """Held emails due now, their retry window starting again (the pause never counts towards
    giving up); ``woken_at`` empty so the sweeper wakes them if nobody else does."""
    ids = list(held.values_list("pk", flat=True))
    OutgoingEmail.objects.filter(pk__in=ids, state=OutgoingEmail.State.QUEUED, held=PAUSED).update(
        next_attempt_at=now, woken_at=None, first_attempt_at=None
    )
    return ids


def breaker_settings_saved(company_id: int, now: datetime.datetime | None = None) -> list[int]:
    """The company saved its email settings (perhaps the fixed password): its own-SMTP
    breakers close and its held emails are due at once. The ids to wake."""
    TransportBreaker.objects.filter(company_id=company_id).delete()
    held = OutgoingEmail.objects.filter(
        state=OutgoingEmail.State.QUEUED,
        held=PAUSED,
        transport=TransportName.SMTP,
        company_id=company_id,
    )
    return emails_resume(held, now or timezone.now())


# --- what the pages show -------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    """A paused way as a company sees it."""

    transport: str
    kind: str
    reason: object  # a stored reason
    probe_at: datetime.datetime | None
    waiting: int

    @property
    def own_server(self) -> bool:
        return self.transport == TransportName.SMTP


def company_pauses(company_id: int) -> list[Pause]:
    """The company's paused ways for which some of its emails wait, with how many: its own
    server's and the platform provider's. One query when nothing is paused."""
    breakers = TransportBreaker.objects.filter(opened_at__isnull=False).filter(
        Q(company_id=company_id) | Q(company__isnull=True)
    )
    pauses = []
    for breaker in breakers.order_by("pk"):
        waiting = OutgoingEmail.objects.filter(
            company_id=company_id,
            state=OutgoingEmail.State.QUEUED,
            held=PAUSED,
            transport=breaker.transport,
        ).count()
        if not waiting:  # nothing of this company waits (or only the probe, on its way)
            continue
        pauses.append(
            Pause(breaker.transport, breaker.kind, breaker.reason, breaker.probe_at, waiting)
        )
    return pauses


def email_pause(email: OutgoingEmail) -> Pause | None:
    """The pause a held email waits for, if its way is paused."""
    way = way_of(email)
    if way is None:
        return None
    breaker = TransportBreaker.objects.filter(key=way.key, opened_at__isnull=False).first()
    if breaker is None:
        return None
    return Pause(breaker.transport, breaker.kind, breaker.reason, breaker.probe_at, 0)
