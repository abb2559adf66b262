"""Update status as a service: may it run (window, API, one at a time, cooldown), run it,
and the periodic poll of recipients still without a final fact.

These services claim and answer; they never enqueue. The caller (the Update status view, the
sweeper) queues ``porto.mail.feedback.tasks.refresh_email`` for what they claimed."""

import datetime
import logging

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from porto.mail.feedback.refresh.record import observations_record
from porto.mail.feedback.refresh.smtp import SmtpClient
from porto.mail.models import OutgoingEmail, Recipient, TransportName
from porto.mail.providers import OWN_WAYS, PROVIDERS, policy_for
from porto.mail.providers.base.status import (
    Lookup,
    RefreshFailed,
    RefreshRefusal,
    RefreshRefused,
    StatusClient,
    refresh_failed,
)
from porto.mail.reasons import reason_message

logger = logging.getLogger(__name__)

# After hand-off, poll recipients without a final fact at about these ages.
POLL_SCHEDULE = (
    datetime.timedelta(minutes=15),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=24),
    datetime.timedelta(days=3),
    datetime.timedelta(days=7),
)


# Status clients of our own ways out: own SMTP here; apps built on top of mail (the sandbox
# reads its own inbox) register theirs from their AppConfig.ready(), so mail never imports them.
OWN_CLIENTS: dict[str, type[StatusClient]] = {"smtp": SmtpClient}


def status_client_register(provider: str, client_class: type[StatusClient]) -> None:
    OWN_CLIENTS[provider] = client_class


def client_for(provider: str, session: requests.Session | None = None) -> StatusClient:
    client: StatusClient | None = None
    if provider in PROVIDERS:
        client = PROVIDERS[provider].status_client(observations_record, session=session)
    elif provider in OWN_CLIENTS:
        client = OWN_CLIENTS[provider](OWN_WAYS[provider], observations_record, session=session)
    if client is None:
        raise RefreshRefused(RefreshRefusal(no_api_reason(provider), "provider_has_no_api"))
    return client


def no_api_reason(provider: str) -> str:
    policy = policy_for(provider)
    return str(policy.no_api_reason) or _("Porto cannot ask %(provider)s about a sent message.") % {
        "provider": policy.label
    }


def _cooldown() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PORTO_REFRESH_COOLDOWN)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.PORTO_REFRESH_LEASE)


def refresh_refusal(email: OutgoingEmail, now: datetime.datetime) -> str:
    """Why Update status cannot be offered for ``email`` at ``now``; "" when it can.

    Reads only the email (and, for own SMTP, the company's email settings)."""
    provider = email.provider
    policy = policy_for(provider)
    if not policy.has_api:
        return RefreshRefusal(no_api_reason(provider), "provider_has_no_api")
    if email.handed_off_at is None:
        message = _("This email has not been handed off yet: there is nothing to ask about.")
        return RefreshRefusal(message, "email_not_handed_off")
    if now - email.handed_off_at > policy.window:
        message = _(
            "%(provider)s can be asked for %(days)d days after sending (it keeps its logs "
            "%(retention)d days); this email was sent on %(date)s, so its status can no "
            "longer be updated."
        ) % {
            "provider": policy.label,
            "days": policy.window.days,
            "retention": policy.retention_days,
            "date": formats.date_format(timezone.localtime(email.handed_off_at)),
        }
        return RefreshRefusal(message, "refresh_window_passed")
    if provider == TransportName.SMTP and not imap_configured(email):
        message = _(
            "Add your mailbox's IMAP settings in Email settings: Porto reads the delivery "
            "reports of your own server from there."
        )
        return RefreshRefusal(message, "imap_not_configured")
    return ""


def imap_configured(email: OutgoingEmail) -> bool:
    settings_row = getattr(email.company, "email_settings", None)
    return bool(settings_row and settings_row.imap_host and settings_row.imap_username)


def busy_refusal(email: OutgoingEmail, now: datetime.datetime) -> str:
    started, finished = email.refresh_started_at, email.refresh_finished_at
    if started is None:
        return ""
    running = finished is None or finished < started
    if running and now - started < _lease():
        message = _(
            "Porto is already asking %(provider)s about this email; the status changes as soon "
            "as the answer is in."
        ) % {"provider": policy_for(email.provider).label}
        return RefreshRefusal(message, "refresh_running")
    if now - started < _cooldown():
        wait = int((_cooldown() - (now - started)).total_seconds()) + 1
        message = _(
            "The status of this email was updated a moment ago; try again in %(seconds)d seconds."
        ) % {"seconds": wait}
        return RefreshRefusal(message, "refresh_cooldown", retry_after=wait)
    return ""


def refresh_claim(email: OutgoingEmail, now: datetime.datetime) -> None:
    """Take the email's refresh slot with one conditional UPDATE, or say why not."""
    free = (
        Q(refresh_started_at__isnull=True)
        | Q(refresh_started_at__lt=now - _lease())
        | Q(
            refresh_started_at__lt=now - _cooldown(),
            refresh_finished_at__gte=F("refresh_started_at"),
        )
    )
    taken = OutgoingEmail.objects.filter(free, pk=email.pk).update(
        refresh_started_at=now, refresh_error=""
    )
    if not taken:
        email.refresh_from_db(fields=["refresh_started_at", "refresh_finished_at"])
        raise RefreshRefused(busy_refusal(email, now) or busy_fallback())
    email.refresh_started_at = now


def busy_fallback() -> str:
    message = _("Porto is already asking about this email; try again in a minute.")
    return RefreshRefusal(message, "refresh_running")


def email_refresh_request(email: OutgoingEmail, *, now: datetime.datetime | None = None) -> None:
    """The Update status button: check and claim (RefreshRefused says why not). The caller
    queues the refresh on commit (``porto.mail.feedback.tasks.refresh_on_commit``)."""
    now = now or timezone.now()
    reason = refresh_refusal(email, now) or busy_refusal(email, now)
    if reason:
        raise RefreshRefused(reason)
    refresh_claim(email, now)


def email_refresh(
    email_id: int,
    *,
    now: datetime.datetime | None = None,
    session: requests.Session | None = None,
) -> int:
    """Ask the provider about one claimed email and record the answers; new events."""
    email = OutgoingEmail.objects.select_related("company").get(pk=email_id)
    now = now or timezone.now()
    failed: RefreshFailed | RefreshRefused | None = None
    new = 0
    try:
        client = client_for(email.provider, session=session)
        new = client.refresh(email, lookups_of(email), now)
    except (RefreshFailed, RefreshRefused) as failure:
        failed = failure
    except (KeyError, TypeError, AttributeError, ValueError):  # an answer of another shape
        logger.warning("Unreadable status answer for email %s", email_id, exc_info=True)
        failed = refresh_failed(
            N_("%(provider)s answered in a form Porto cannot read; nothing was changed."),
            {"provider": policy_for(email.provider).label},
        )
    finally:
        OutgoingEmail.objects.filter(pk=email_id).update(
            refresh_finished_at=max(timezone.now(), now), refresh_error=refresh_error_stored(failed)
        )
    if failed is not None:
        raise RefreshFailed(failed.message)
    return new


def refresh_error_stored(failed: RefreshFailed | RefreshRefused | None) -> object:
    """What ``OutgoingEmail.refresh_error`` keeps: the sentence and its parameters when the
    failure has them, so the timeline says it in the reader's language; "" when it worked."""
    if failed is None:
        return ""
    if isinstance(failed, RefreshFailed) and failed.msgid:
        return reason_message(failed.msgid, failed.params)
    return failed.message


def lookups_of(email: OutgoingEmail) -> list[Lookup]:
    """One question per provider message id (anymail gives one id to many recipients)."""
    grouped: dict[str, list[str]] = {}
    for recipient in email.recipients.all():
        key = recipient.provider_message_id or email.message_id
        grouped.setdefault(key, []).append(recipient.address)
    return [
        Lookup(
            message_id=key,
            addresses=tuple(addresses),
            our_message_id=email.message_id,
            from_address=email.from_address,
        )
        for key, addresses in grouped.items()
    ]


# --- the periodic poll ---------------------------------------------------------------------


def poll_point(
    handed_off_at: datetime.datetime, now: datetime.datetime
) -> datetime.datetime | None:
    """The latest poll time of the schedule that has passed, if any."""
    passed = [handed_off_at + age for age in POLL_SCHEDULE if handed_off_at + age <= now]
    return passed[-1] if passed else None


def poll_candidates(now: datetime.datetime):
    open_recipients = Recipient.objects.filter(
        delivered_at__isnull=True, failed_at__isnull=True, accepted_at__isnull=False
    )
    return (
        OutgoingEmail.objects.filter(
            state=OutgoingEmail.State.SENT,
            handed_off_at__lte=now - POLL_SCHEDULE[0],
            handed_off_at__gte=now
            - datetime.timedelta(days=settings.PORTO_MAIL_REFRESH_WINDOW_DAYS),
            pk__in=open_recipients.values("email_id"),
        )
        .select_related("company__email_settings")
        .order_by("handed_off_at")
    )


def refresh_due(now: datetime.datetime) -> list[OutgoingEmail]:
    """Emails with a recipient still without a final fact whose next poll time has come."""
    due = []
    for email in poll_candidates(now):
        point = poll_point(email.handed_off_at, now)
        if point is None or refresh_refusal(email, now):
            continue
        if email.refresh_started_at is None or email.refresh_started_at < point:
            due.append(email)
    return due


def refresh_poll(now: datetime.datetime | None = None) -> list[int]:
    """Claim every due email; the ids claimed, for the caller to queue their refresh."""
    now = now or timezone.now()
    claimed = []
    for email in refresh_due(now):
        try:
            with transaction.atomic():
                refresh_claim(email, now)
        except RefreshRefused:
            continue
        claimed.append(email.pk)
    return claimed
