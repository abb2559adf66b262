"""Write a finalized document's files (the stored ones: the same bytes a client receives)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from porto.documents.models import Document
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.rendering.files import FORMATS, document_files


class Command(BaseCommand):
    help = (
        "Write the PDF and/or UBL of a finalized document: render_document NUMBER "
        "--format pdf|ubl|pdf+ubl -o PATH (a file, or a folder for pdf+ubl)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="The document number, e.g. 2026-00042.")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="pdf")
        parser.add_argument(
            "-o", "--output", type=Path, default=Path("."), help="File or folder (default: .)"
        )
        parser.add_argument("--company", default="", help="Company slug, if several companies.")
        parser.add_argument(
            "--embed-pdf",
            choices=["yes", "no"],
            default=None,
            help="Embed the PDF in the UBL (default: yes for pdf+ubl, no for ubl).",
        )

    def handle(self, *args, number: str, fmt: str, output: Path, company: str, **options):
        document = self._document(number, company)
        embed = None if options["embed_pdf"] is None else options["embed_pdf"] == "yes"
        try:
            files = document_files(document, fmt, embed_pdf=embed)
        except DocumentFileError as error:
            raise CommandError("\n".join(error.messages)) from error
        for stored, path in zip(files, self._paths(output, files), strict=True):
            path.write_bytes(stored.content)
            note = f", UBL {stored.validation.replace('_', ' ')}" if stored.validation else ""
            self.stdout.write(f"{path} ({stored.size} bytes, sha256 {stored.sha256}{note})")

    def _document(self, number: str, company: str) -> Document:
        documents = Document.objects.select_related("company", "client", "corrects").filter(
            number=number
        )
        if company:
            documents = documents.filter(company__slug=company)
        found = list(documents[:2])
        if not found:
            raise CommandError(f"No finalized document has number {number}.")
        if len(found) > 1:
            raise CommandError(f"Several companies have a document {number}: add --company SLUG.")
        return found[0]

    def _paths(self, output: Path, files) -> list[Path]:
        if output.is_dir():
            return [output / stored.filename for stored in files]
        if len(files) > 1:
            raise CommandError(f"{output} must be a folder: pdf+ubl writes two files.")
        if not output.parent.is_dir():
            raise CommandError(f"The folder {output.parent} does not exist.")
        return [output]
