"""The emails the API reads: a company's, each with ``updated_at``, the moment it last changed.

An email has no column for that: its rows are written by the outbox, the events and Update
status, each its own way. So ``updated_at`` is read from the moments they record: created,
handed off, finished, asked again (Update status), the latest event received, and the moment
its stored status turns In transit into Unknown (``unknown_after``, once past). Polling with
``updated_since`` therefore sees every change of what ``EmailOutput`` shows."""

from django.db.models import (
    Case,
    DateTimeField,
    F,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from porto.accounts.models import Company
from porto.mail.models import DeliveryEvent, OutgoingEmail, Recipient


def _latest_event_received() -> Subquery:
    latest = (
        DeliveryEvent.objects.filter(recipient__email=OuterRef("pk"))
        .values("recipient__email")
        .annotate(latest=Max("received_at"))
        .values("latest")
    )
    return Subquery(latest, output_field=DateTimeField())


def _changed_at() -> Greatest:
    created = F("created_at")
    turned_unknown = Case(  # a moment still to come is no change yet
        When(unknown_after__lte=timezone.now(), then=F("unknown_after")),
        default=None,
        output_field=DateTimeField(),
    )
    moments = [
        F("handed_off_at"),
        F("finished_at"),
        F("refresh_finished_at"),
        _latest_event_received(),
        turned_unknown,
    ]
    # Greatest is NULL on SQLite when one value is: each moment falls back to created_at.
    return Greatest(created, *(Coalesce(m, created) for m in moments), output_field=DateTimeField())


def email_list(company: Company) -> QuerySet[OutgoingEmail]:
    """The company's emails with ``updated_at`` and what ``EmailOutput`` reads, prefetched."""
    recipients = Recipient.objects.prefetch_related("events")
    return (
        OutgoingEmail.objects.filter(company=company)
        .annotate(updated_at=_changed_at())
        .prefetch_related(
            Prefetch("recipients", queryset=recipients),
            "attachments__blob",
        )
    )


def email_get(company: Company, pk: int) -> OutgoingEmail | None:
    return email_list(company).filter(pk=pk).first()
