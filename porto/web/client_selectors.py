"""Reads for the client page: its documents and every email sent to it, a fixed number of
queries per page."""

import datetime
from dataclasses import dataclass

from django.db.models import F, QuerySet

from porto.clients.models import Client
from porto.documents.models import Document
from porto.mail.models import OutgoingEmail, Recipient
from porto.web.selectors import EmailRow, email_row


def client_documents(client: Client) -> QuerySet[Document]:
    """Newest first; drafts (no issue date yet) on top, as in the overview."""
    return client.documents.order_by(F("issue_date").desc(nulls_first=True), "-pk")


@dataclass
class ClientEmailRow:
    """An email to the client as its page lists it: the badge row and its To addresses."""

    row: EmailRow
    to: list[str]

    @property
    def email(self) -> OutgoingEmail:
        return self.row.email


def client_emails(client: Client) -> QuerySet[OutgoingEmail]:
    """Every email sent for one of the client's documents, newest first."""
    return (
        OutgoingEmail.objects.filter(company=client.company, document__client=client)
        .select_related("document")
        .prefetch_related("recipients")
        .order_by("-created_at", "-pk")
    )


def client_email_rows(emails: list[OutgoingEmail], now: datetime.datetime) -> list[ClientEmailRow]:
    rows = []
    for email in emails:
        recipients = list(email.recipients.all())
        for recipient in recipients:
            recipient.email = email  # no query per recipient for its email
        to = [r.address for r in recipients if r.kind == Recipient.Kind.TO]
        rows.append(ClientEmailRow(row=email_row(email, now), to=to))
    return rows
