"""The stored status of each email: the one writer of ``OutgoingEmail.shown_status``,
``unknown_after`` and ``some_failed``.

``porto.mail.status.email_status`` decides; this module only copies the decision onto the
email, so SQL (the overview's filters) can read it. Called by the event path after every
change of a recipient's facts (``porto.mail.events.apply_events``) and by the outbox when
the hand-off changes the email's own facts (``porto.mail.delivery``).
"""

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.status import EmailStatus, email_status

# Sent inside the transaction, with the email row locked, after every decision: apps above
# mail (outbound webhooks) write what follows from it in the same transaction.
email_status_stored = Signal()  # email, recipients, decided


def email_status_of(email: OutgoingEmail, recipients: Iterable[Recipient]) -> EmailStatus:
    """The status to store for ``email``, from its recipients (only To ones count)."""
    return email_status(
        [r.facts() for r in recipients if r.kind == Recipient.Kind.TO],
        handed_off_at=email.handed_off_at,
        in_transit_for=email.in_transit_for,
        track_opens=email.track_opens,
    )


def stored_values(decided: EmailStatus) -> dict:
    return {
        "shown_status": decided.status.value,
        "unknown_after": decided.unknown_after,
        "some_failed": decided.some_failed,
    }


def email_status_store(email_id: int) -> EmailStatus:
    """Decide and store the email's status. The email row is locked first, so two recipients
    changing at once are decided one after the other, each seeing the other's facts."""
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        recipients = list(email.recipients.all())
        decided = email_status_of(email, recipients)
        values = stored_values(decided)
        if any(getattr(email, name) != value for name, value in values.items()):
            OutgoingEmail.objects.filter(pk=email_id).update(**values)
        email_status_stored.send(OutgoingEmail, email=email, recipients=recipients, decided=decided)
    return decided


STORED_FIELDS = ("shown_status", "unknown_after", "some_failed")  # the keys of stored_values
# ``email_status_stored`` for a whole batch, sent once (inside the transaction, the emails
# locked): stored is a list of (email, recipients, decided). Receivers look up what they need
# once per batch instead of once per email.
emails_status_stored = Signal()  # stored


def emails_status_store(email_ids: Iterable[int]) -> dict[int, EmailStatus]:
    """``email_status_store`` for many emails at once (the event projection's batches): the
    emails locked in id order, their recipients read in one query, the changed statuses
    written with one UPDATE per distinct status, then ``emails_status_stored`` sent once."""
    ids = sorted(set(email_ids))
    decided: dict[int, EmailStatus] = {}
    if not ids:
        return decided
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            decided |= _emails_decide(ids[start : start + 500])
    return decided


def _emails_decide(ids: list[int]) -> dict[int, EmailStatus]:
    emails = list(
        OutgoingEmail.objects.select_for_update()
        .filter(pk__in=ids)
        .defer("body_text", "body_html")  # not needed to decide; read if a receiver asks
        .order_by("pk")
    )
    recipients_of: dict[int, list[Recipient]] = {email.pk: [] for email in emails}
    for recipient in Recipient.objects.filter(email_id__in=ids):
        recipients_of[recipient.email_id].append(recipient)
    decided = {email.pk: email_status_of(email, recipients_of[email.pk]) for email in emails}
    _statuses_write(emails, decided)
    emails_status_stored.send(
        OutgoingEmail,
        stored=[(email, recipients_of[email.pk], decided[email.pk]) for email in emails],
    )
    return decided


def _statuses_write(emails: list[OutgoingEmail], decided: dict[int, EmailStatus]) -> None:
    """One UPDATE per distinct stored value (a batch has few: the final statuses carry no
    moment), only for the emails whose status changed."""
    ids_of: dict[tuple, list[int]] = {}
    for email in emails:
        values = stored_values(decided[email.pk])
        if any(getattr(email, name) != value for name, value in values.items()):
            ids_of.setdefault(tuple(values[name] for name in STORED_FIELDS), []).append(email.pk)
    for values_in_order, ids in ids_of.items():
        OutgoingEmail.objects.filter(pk__in=ids).update(
            **dict(zip(STORED_FIELDS, values_in_order, strict=True))
        )
