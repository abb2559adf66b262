"""Render once: a finalized document's files are produced the first time they are needed (or
right after finalization) and stored with their SHA-256; every later request gets the stored
bytes, so a new logo or template never changes a file a client may already have.

``document_files`` is the one entry point for whoever sends or downloads a document.
"""

import logging
import secrets
import unicodedata
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from porto.documents.models import UBL_KINDS, Document, RenderedFile
from porto.documents.rendering import pdf, ubl, validation
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.rendering.rules import sha256_of

log = logging.getLogger(__name__)

PDF, UBL, PDF_AND_UBL = "pdf", "ubl", "pdf+ubl"
FORMATS = (PDF, UBL, PDF_AND_UBL)
CONTENT_TYPES = {
    RenderedFile.Format.PDF: "application/pdf",
    RenderedFile.Format.UBL: "application/xml",
    RenderedFile.Format.UBL_WITH_PDF: "application/xml",
}


@dataclass(frozen=True)
class StoredFile:
    filename: str  # e.g. Factuur-2026-00042.pdf, in the client's language
    content_type: str  # application/pdf or application/xml
    content: bytes
    sha256: str
    validation: str = ""  # UBL: "valid" or "not_validated"; "" for a PDF
    warnings: tuple[str, ...] = field(default=())  # rule warnings (do not block sending)

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def validation_message(self) -> str:
        """What the send dialog says about an unchecked UBL ("" when there is nothing to say)."""
        if self.validation != RenderedFile.Validation.NOT_VALIDATED:
            return ""
        return _(
            "This UBL file was not checked against the official e-invoicing rules: they are "
            "not installed. Ask an administrator to run: python manage.py einvoice_rules install"
        )


def document_files(
    document: Document, fmt: str, *, embed_pdf: bool | None = None
) -> list[StoredFile]:
    """The files to attach for ``fmt`` ("pdf", "ubl" or "pdf+ubl"), PDF first.

    ``embed_pdf`` puts the PDF inside the UBL; by default it does so for "pdf+ubl" only.
    Raises DocumentFileError (a ValidationError) with messages a person can act on when the
    document is a draft, when UBL is asked for a quote or other document, when the data
    cannot make a valid Peppol file, or when the UBL fails the official rules."""
    if fmt not in FORMATS:
        raise DocumentFileError(
            _("Choose the file format PDF, UBL or PDF+UBL; %(format)s is not one of them.")
            % {"format": fmt},
            code="format",
        )
    if document.is_draft:
        raise DocumentFileError(
            _("Finalize the document before sending it: a draft has no number yet."),
            code="draft",
        )
    if fmt != PDF and document.kind not in UBL_KINDS:
        raise DocumentFileError(
            _("UBL exists only for invoices and credit notes; send this %(kind)s as PDF.")
            % {"kind": document.get_kind_display().lower()},
            code="ubl_kind",
        )
    files = []
    if fmt in (PDF, PDF_AND_UBL):
        files.append(stored_pdf(document))
    if fmt != PDF:
        embed = fmt == PDF_AND_UBL if embed_pdf is None else embed_pdf
        files.append(stored_ubl(document, embed_pdf=embed))
    return files


def document_files_prepare(document: Document) -> list[str]:
    """Produce and store every file of a just-finalized document. A UBL that cannot be made
    is not an error here (the document may never be sent as UBL): its reasons are returned."""
    stored_pdf(document)
    if document.kind not in UBL_KINDS:
        return []
    try:
        for embed in (False, True):
            stored_ubl(document, embed_pdf=embed)
    except DocumentFileError as error:
        return error.messages
    return []


def file_stem(document: Document) -> str:
    """Factuur-2026-00042, Facture-2026-00042, Invoice-2026-00042: ASCII, no spaces."""
    with translation.override(pdf.document_language(document)):
        title = pdf.document_title(document)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = "".join(char if char.isalnum() else " " for char in ascii_title).split()
    return "-".join([*words, document.number])


def stored_pdf(document: Document) -> StoredFile:
    row = _stored_row(document, RenderedFile.Format.PDF)
    if row is None:
        row = rendered_file_store(document, RenderedFile.Format.PDF, pdf.render_pdf(document))
    return _load(row, f"{file_stem(document)}.pdf")


def stored_ubl(document: Document, *, embed_pdf: bool) -> StoredFile:
    fmt = RenderedFile.Format.UBL_WITH_PDF if embed_pdf else RenderedFile.Format.UBL
    filename = f"{file_stem(document)}.xml"
    row = _stored_row(document, fmt)
    if row is None:
        row = _render_ubl(document, fmt)
    elif row.validation != RenderedFile.Validation.VALID:
        _validate_stored(row)
    return _load(row, filename)


def _render_ubl(document: Document, fmt: str) -> RenderedFile:
    problems = ubl.ubl_problems(document)
    if problems:
        raise DocumentFileError(problems, code="ubl_data")
    embedded = stored_pdf(document) if fmt == RenderedFile.Format.UBL_WITH_PDF else None
    content = ubl.render_ubl(
        document,
        pdf=embedded.content if embedded else None,
        pdf_filename=embedded.filename if embedded else "",
    )
    report = validation.validate_ubl(content)
    _refuse_invalid(document, report)
    return rendered_file_store(document, fmt, content, report)


def _validate_stored(row: RenderedFile) -> None:
    """A UBL stored before the rules were installed is checked as soon as they are."""
    report = validation.validate_ubl(_read(row))
    if report.status == validation.NOT_VALIDATED:
        return
    _refuse_invalid(row.document, report)
    row.validation = RenderedFile.Validation.VALID
    row.validation_release = report.release
    row.validation_summary = report.summary()
    row.save(update_fields=["validation", "validation_release", "validation_summary"])


def _refuse_invalid(document: Document, report: validation.ValidationReport) -> None:
    if report.status != validation.INVALID:
        return
    findings = report.fatal
    log.warning(
        "UBL of document %s fails the e-invoicing rules: %s",
        document.pk,
        ", ".join(finding.rule_id for finding in findings),
    )
    raise DocumentFileError(
        [
            _("%(message)s (rule %(rule)s)") % {"message": f.message, "rule": f.rule_id}
            for f in findings
        ],
        code="ubl_invalid",
        rule_ids=tuple(finding.rule_id for finding in findings),
    )


def _stored_row(document: Document, fmt: str) -> RenderedFile | None:
    return (
        RenderedFile.objects.select_related("document")
        .filter(document=document, format=fmt)
        .first()
    )


def rendered_file_store(
    document: Document,
    fmt: str,
    content: bytes,
    report: validation.ValidationReport | None = None,
) -> RenderedFile:
    extension = "pdf" if fmt == RenderedFile.Format.PDF else "xml"
    name = (
        f"rendered/{document.company_id}/{document.pk}/{secrets.token_urlsafe(16)}/"
        f"{document.number}-{fmt.replace('+', '-')}.{extension}"
    )
    saved = default_storage.save(name, ContentFile(content))
    row = RenderedFile(
        document=document,
        format=fmt,
        file=saved,
        sha256=sha256_of(content),
        size=len(content),
        validation=report.status if report else RenderedFile.Validation.NONE,
        validation_release=report.release if report else "",
        validation_summary=report.summary() if report else {},
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another request stored this file first: theirs is the one, ours goes.
        default_storage.delete(saved)
        winner = _stored_row(document, fmt)
        if winner is None:
            raise
        return winner
    return row


def _read(row: RenderedFile) -> bytes:
    try:
        with row.file.open("rb") as file:
            content = file.read()
    except (OSError, ValueError) as error:
        raise DocumentFileError(
            _(
                "The stored %(format)s file of document %(number)s cannot be read from storage: "
                "check the file storage, then try again."
            )
            % {"format": row.get_format_display(), "number": row.document.number},
            code="file_missing",
        ) from error
    if sha256_of(content) != row.sha256:
        raise DocumentFileError(
            _(
                "The stored %(format)s file of document %(number)s changed after it was made "
                "(its SHA-256 no longer matches), so Porto will not send it. Restore it from a "
                "backup."
            )
            % {"format": row.get_format_display(), "number": row.document.number},
            code="file_changed",
        )
    return content


def _load(row: RenderedFile, filename: str) -> StoredFile:
    summary = row.validation_summary or {}
    return StoredFile(
        filename=filename,
        content_type=CONTENT_TYPES[RenderedFile.Format(row.format)],
        content=_read(row),
        sha256=row.sha256,
        validation=row.validation,
        warnings=tuple(w.get("message", "") for w in summary.get("warnings", [])),
    )
