"""Send one finalized document by email from the command line, for people and scripts."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from porto.documents.models import Document
from porto.mail.models import FileFormat, OutgoingEmail
from porto.mail.requests import SendRequest, email_send
from porto.mail.tasks import wake_on_commit


class Command(BaseCommand):
    help = "Queue an email with a document to one or more addresses."

    def add_arguments(self, parser) -> None:
        parser.add_argument("number", help="The document number, e.g. 2026-00042.")
        parser.add_argument(
            "--to", action="append", required=True, help="Recipient; repeat for more."
        )
        parser.add_argument("--cc", action="append", default=[])
        parser.add_argument("--format", choices=FileFormat.values, default=None)
        parser.add_argument("--company", help="The company's slug, when several use the number.")

    def handle(self, *args, number: str, to, cc, format, company, **options) -> None:
        document = find_document(number, company)
        try:
            email = send_and_deliver(
                SendRequest(document=document, to=to, cc=cc, file_format=format)
            )
        except ValidationError as error:
            raise CommandError(
                "Not sent:\n" + "\n".join(f"- {m}" for m in error.messages)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Queued email {email.pk} for {document} to {', '.join(to + cc)} "
                f"(Message-ID <{email.message_id}>)."
            )
        )


def send_and_deliver(request: SendRequest) -> OutgoingEmail:
    """The rows and their wake-up commit together."""
    with transaction.atomic():
        email = email_send(request)
        wake_on_commit([email.pk])
    return email


def find_document(number: str, company: str | None) -> Document:
    documents = Document.objects.filter(number=number).select_related("company", "client")
    if company:
        documents = documents.filter(company__slug=company)
    found = list(documents[:2])
    if not found:
        raise CommandError(f"No document has the number {number!r}: check the number.")
    if len(found) > 1:
        raise CommandError(
            f"Several companies have a document {number}: say which with --company "
            f"({', '.join(d.company.slug for d in found)})."
        )
    return found[0]
