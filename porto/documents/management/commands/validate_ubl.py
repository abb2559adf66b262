"""Print what the official rules (XSD, EN 16931, Peppol BIS 3.0) say about a UBL file."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from lxml import etree

from porto.documents.rendering import validation


class Command(BaseCommand):
    help = "Validate a UBL file in three layers; the exit status is 1 when a fatal rule fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Print the findings as JSON.")

    def handle(self, *args, file: Path, json: bool, **options) -> None:
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
        refusal = entity_refusal(content)
        if refusal:
            raise CommandError(f"{file}: {refusal}", returncode=1)
        report = validation.validate_ubl(content)
        if json:
            self.stdout.write(_dumps(report.summary()))
        else:
            self._print(file, report)
        if report.status == validation.INVALID:
            raise CommandError(f"{file}: {len(report.fatal)} fatal finding(s).", returncode=1)
        if report.status == validation.NOT_VALIDATED:
            raise CommandError(report.reason, returncode=2)

    def _print(self, file: Path, report: validation.ValidationReport) -> None:
        for finding in report.findings:
            style = self.style.ERROR if finding.flag == validation.FATAL else self.style.WARNING
            self.stdout.write(
                style(f"{finding.flag.upper():8} {finding.layer:8} {finding.rule_id}")
            )
            self.stdout.write(f"         {finding.message}")
            if finding.message != finding.text:
                self.stdout.write(f"         official text: {finding.text}")
            if finding.location:
                self.stdout.write(f"         at {finding.location}")
        if report.status == validation.VALID:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{file}: valid ({len(report.warnings)} warning(s)), rules {report.release}."
                )
            )


# Reads the document type declaration without fetching or expanding anything it names.
_DECLARATIONS_ONLY = etree.XMLParser(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
)


def entity_refusal(content: bytes) -> str:
    """Why a file declaring entities or naming an external DTD is refused before any validator
    reads it, or "". A UBL file has neither; an external one would make a reader fetch a file
    or a URL (XXE)."""
    try:
        tree = etree.fromstring(content, _DECLARATIONS_ONLY).getroottree()
    except etree.XMLSyntaxError:
        return ""  # not well-formed: the validator reports where
    if tree.docinfo.system_url or tree.docinfo.public_id:
        return "refused: an external document type (a UBL file has none)"
    dtd = tree.docinfo.internalDTD
    entities = list(dtd.iterentities()) if dtd is not None else []
    if any(entity.system_url for entity in entities):
        return "refused: external entities"
    if entities:
        return "refused: entity declarations (a UBL file has none)"
    return ""


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
