"""Validate a UBL document the way a Peppol access point does, in three layers:

1. the OASIS UBL 2.1 XSD (lxml);
2. the CEN EN 16931 rules (Schematron compiled to XSLT 2.0, run by saxonche);
3. the Peppol BIS Billing 3.0 rules (same).

Compiling the stylesheets takes about half a second, so a process compiles them once and keeps
them (``get_validator``); a run then takes milliseconds. Runs are serialised by a lock: a worker
validating from several threads stays correct, and validation is short.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from porto.documents.rendering import messages, rules

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"

XSD, CEN, PEPPOL = "xsd", "en16931", "peppol"
FATAL, WARNING = "fatal", "warning"

VALID, INVALID, NOT_VALIDATED = "valid", "invalid", "not_validated"

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Finding:
    layer: str  # xsd, en16931 or peppol
    rule_id: str  # e.g. BR-CO-10, PEPPOL-EN16931-R003; "XSD" or "XML" for the first layer
    flag: str  # fatal or warning
    text: str  # the official wording
    location: str = ""

    @property
    def message(self) -> str:
        """What a person can act on; the official wording when we cannot name the cause."""
        return messages.human_message(self.rule_id, self.text)

    def as_dict(self) -> dict:
        return {
            "layer": self.layer,
            "rule_id": self.rule_id,
            "flag": self.flag,
            "message": self.message,
            "text": self.text,
            "location": self.location,
        }


@dataclass(frozen=True)
class ValidationReport:
    status: str  # valid, invalid or not_validated
    findings: tuple[Finding, ...] = ()
    release: str = ""
    reason: str = ""  # why it was not validated
    layers: tuple[str, ...] = field(default=())

    @property
    def fatal(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.flag == FATAL]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.flag != FATAL]

    @property
    def is_valid(self) -> bool:
        return self.status == VALID

    def summary(self) -> dict:
        return {
            "status": self.status,
            "release": self.release,
            "reason": self.reason,
            "fatal": [finding.as_dict() for finding in self.fatal],
            "warnings": [finding.as_dict() for finding in self.warnings],
        }


class Validator:
    """The compiled rules of one rules folder."""

    def __init__(self, directory: Path) -> None:
        from saxonche import PySaxonProcessor  # heavy (a Java runtime): loaded on first use

        self.directory = directory
        self.release = rules.installed_release(directory) or str(directory.name)
        self._schemas = {
            INVOICE_NS: _load_schema(directory / rules.INVOICE_XSD),
            CREDIT_NOTE_NS: _load_schema(directory / rules.CREDIT_NOTE_XSD),
        }
        self._saxon = PySaxonProcessor(license=False)
        compiler = self._saxon.new_xslt30_processor()
        self._stylesheets = {
            CEN: compiler.compile_stylesheet(stylesheet_file=str(directory / rules.CEN_XSLT)),
            PEPPOL: compiler.compile_stylesheet(stylesheet_file=str(directory / rules.PEPPOL_XSLT)),
        }
        self._lock = threading.Lock()

    def validate(self, xml: bytes) -> ValidationReport:
        try:
            tree = etree.fromstring(xml, _SAFE_PARSER)
        except etree.XMLSyntaxError as error:
            finding = Finding(XSD, "XML", FATAL, str(error))
            return self._report([finding])
        with self._lock:
            findings = self._xsd(tree)
            text = etree.tostring(tree, encoding="unicode")
            node = self._saxon.parse_xml(xml_text=text)
            for layer in (CEN, PEPPOL):
                findings.extend(self._run(layer, node))
        return self._report(findings)

    def schematron(self, xml: bytes, layer: str) -> list[Finding]:
        """One Schematron layer alone (for the official per-rule test fragments)."""
        tree = etree.fromstring(xml, _SAFE_PARSER)
        with self._lock:
            node = self._saxon.parse_xml(xml_text=etree.tostring(tree, encoding="unicode"))
            return self._run(layer, node)

    def _report(self, findings: list[Finding]) -> ValidationReport:
        fatal = any(finding.flag == FATAL for finding in findings)
        return ValidationReport(
            status=INVALID if fatal else VALID,
            findings=tuple(findings),
            release=self.release,
            layers=(XSD, CEN, PEPPOL),
        )

    def _xsd(self, tree: etree._Element) -> list[Finding]:
        schema = self._schemas.get(etree.QName(tree).namespace or "")
        if schema is None:
            text = _("The root element is %(root)s; a UBL file is an Invoice or a CreditNote.") % {
                "root": etree.QName(tree).localname
            }
            return [Finding(XSD, "XSD", FATAL, text)]
        if schema.validate(tree):
            return []
        return [
            Finding(XSD, "XSD", FATAL, error.message, location=f"line {error.line}")
            for error in schema.error_log
        ]

    def _run(self, layer: str, node) -> list[Finding]:
        svrl = self._stylesheets[layer].transform_to_string(xdm_node=node)
        return parse_svrl(svrl, layer)


def _load_schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), _SAFE_PARSER))


def parse_svrl(svrl: str, layer: str) -> list[Finding]:
    root = etree.fromstring(svrl.encode("utf-8"), _SAFE_PARSER)
    findings = []
    for kind in ("failed-assert", "successful-report"):
        for element in root.iter(f"{{{SVRL_NS}}}{kind}"):
            text = element.findtext(f"{{{SVRL_NS}}}text") or ""
            findings.append(
                Finding(
                    layer=layer,
                    rule_id=element.get("id", ""),
                    flag=element.get("flag", FATAL),
                    text=" ".join(text.split()),
                    location=element.get("location", ""),
                )
            )
    return findings


# Keyed by folder and installed release: installing other rules (a new release, or custom
# files, whose release names their hash) makes the next validation compile them.
_validators: dict[tuple[Path, str], Validator] = {}
_validators_lock = threading.Lock()


def get_validator(directory: Path | None = None) -> Validator | None:
    """The process's compiled validator, or None when the rules are not installed."""
    directory = Path(directory or rules.rules_dir())
    key = (directory, rules.installed_release(directory))
    with _validators_lock:
        validator = _validators.get(key)
        if validator is None:
            if not rules.rules_installed(directory):
                return None
            validator = _validators[key] = Validator(directory)
        return validator


def validate_ubl(xml: bytes) -> ValidationReport:
    validator = get_validator()
    if validator is None:
        return ValidationReport(
            status=NOT_VALIDATED,
            reason=_(
                "The e-invoicing rules are not installed, so this UBL file was not checked. "
                "An administrator installs them with: python manage.py einvoice_rules install"
            ),
        )
    return validator.validate(xml)
