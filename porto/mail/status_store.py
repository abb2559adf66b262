"""The stored status of each email and of each document: the one writer of
``OutgoingEmail.shown_status``, ``unknown_after`` and ``some_failed``, and of the document's
copy of its latest email's (``Document.last_email_id``, ``last_email_at``, ``email_status``,
``email_unknown_after``, ``email_some_failed``).

``porto.mail.status.email_status`` decides; this module only copies the decision onto the
email, and the latest email's onto its document, so SQL (the overview's filters, sorts and
counts) reads it through indexes. Called by the event path after every change of a
recipient's facts (``porto.mail.events.apply_events``), by the outbox when the hand-off
changes the email's own facts (``porto.mail.delivery``), and by the send service when a new
email becomes its document's latest (``document_status_store``).
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import Signal

from porto.documents.models import Document
from porto.mail.models import OutgoingEmail, Recipient
from porto.mail.status import EmailStatus, Status, email_status

# Sent inside the transaction, with the email row locked, after every decision: apps above
# mail (outbound webhooks) write what follows from it in the same transaction.
email_status_stored = Signal()  # email, recipients, decided


def email_status_of(email: OutgoingEmail, recipients: Iterable[Recipient]) -> EmailStatus:
    """The status to store for ``email``, from its recipients: the To ones decide the word,
    a failed Cc or Bcc adds the flag "a recipient failed"."""
    recipients = list(recipients)
    return email_status(
        [r.facts() for r in recipients if r.kind == Recipient.Kind.TO],
        handed_off_at=email.handed_off_at,
        in_transit_for=email.in_transit_for,
        track_opens=email.track_opens,
        copy_facts=[r.facts() for r in recipients if r.kind != Recipient.Kind.TO],
    )


def stored_values(decided: EmailStatus) -> dict:
    return {
        "shown_status": decided.status.value,
        "unknown_after": decided.unknown_after,
        "some_failed": decided.some_failed,
    }


def email_status_store(email_id: int) -> EmailStatus:
    """Decide and store the email's status, and its document's when it changed. The email row
    and its document's are locked first (one statement), so two recipients changing at once
    are decided one after the other, each seeing the other's facts, and two emails of one
    document copy their status onto it one after the other."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update().select_related("document").get(pk=email_id)
        )
        recipients = list(email.recipients.all())
        decided = email_status_of(email, recipients)
        values = stored_values(decided)
        if any(getattr(email, name) != value for name, value in values.items()):
            OutgoingEmail.objects.filter(pk=email_id).update(**values)
            document_status_store([email.document_id])
        elif not email.document.email_status:  # an email written without the send service
            document_status_store([email.document_id])
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
    changed = _statuses_write(emails, decided)
    # The overview's copy on each document whose latest email may be one of these.
    document_status_store(email.document_id for email in emails if email.pk in changed)
    emails_status_stored.send(
        OutgoingEmail,
        stored=[(email, recipients_of[email.pk], decided[email.pk]) for email in emails],
    )
    return decided


def _statuses_write(emails: list[OutgoingEmail], decided: dict[int, EmailStatus]) -> set[int]:
    """One UPDATE per distinct stored value (a batch has few: the final statuses carry no
    moment), only for the emails whose status changed; their ids."""
    ids_of: dict[tuple, list[int]] = {}
    for email in emails:
        values = stored_values(decided[email.pk])
        if any(getattr(email, name) != value for name, value in values.items()):
            ids_of.setdefault(tuple(values[name] for name in STORED_FIELDS), []).append(email.pk)
    for values_in_order, ids in ids_of.items():
        OutgoingEmail.objects.filter(pk__in=ids).update(
            **dict(zip(STORED_FIELDS, values_in_order, strict=True))
        )
    return {pk for ids in ids_of.values() for pk in ids}


def latest_email_values(email_model=OutgoingEmail) -> dict:
    """The document's columns as expressions over its latest email (newest ``created_at``,
    then id), for an UPDATE of documents. ``email_model`` is the model to read: the
    migration that fills the columns passes its historical one."""
    latest = email_model.objects.filter(document=OuterRef("pk")).order_by("-created_at", "-pk")

    def of_latest(field: str) -> Subquery:
        return Subquery(latest.values(field)[:1])

    return {
        "last_email_id": of_latest("pk"),
        "last_email_at": of_latest("created_at"),
        "email_status": Coalesce(of_latest("shown_status"), Value("")),
        "email_unknown_after": of_latest("unknown_after"),
        "email_some_failed": Coalesce(of_latest("some_failed"), Value(False)),
    }


# Documents copied per statement: well below every database's limit of query parameters.
STORE_BATCH = 500


def document_status_store(document_ids: Iterable[int]) -> None:
    """Copy each document's latest email's stored status onto the document: after a new
    email is written (it becomes the latest) and after its latest email's status changed.
    The documents' rows are locked first, in id order, so the copy reads what the other
    writers committed (a statement's snapshot starts after the lock on PostgreSQL)."""
    ids = sorted(set(document_ids))
    with transaction.atomic():
        for start in range(0, len(ids), STORE_BATCH):
            documents = Document.objects.filter(pk__in=ids[start : start + STORE_BATCH])
            list(documents.select_for_update().order_by("pk").values_list("pk", flat=True))
            documents.update(**latest_email_values())


def document_stored_status(document: Document) -> EmailStatus | None:
    """The badge the document's stored columns say (None before its first email): what the
    overview shows, read at any ``now`` with ``EmailStatus.badge``."""
    if not document.email_status:
        return None
    return EmailStatus(
        Status(document.email_status), document.email_unknown_after, document.email_some_failed
    )
