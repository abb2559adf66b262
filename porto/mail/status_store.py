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
