"""The validator itself is right: official examples pass, official rule tests behave."""

from pathlib import Path

from lxml import etree

from porto.documents.rendering import validation

VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"


def official_examples(einvoice_dir: Path) -> list[Path]:
    return sorted((einvoice_dir / "examples" / "valid").rglob("*.xml"))


def test_official_peppol_examples_have_no_fatal_finding(validator, einvoice_dir):
    examples = official_examples(einvoice_dir)
    assert len(examples) == 10
    for example in examples:
        report = validator.validate(example.read_bytes())
        assert [(example.name, f.rule_id) for f in report.fatal] == []
        assert report.status == validation.VALID


def test_belgian_example_is_valid(validator, einvoice_dir):
    example = einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml"
    report = validator.validate(example.read_bytes())
    assert report.is_valid
    assert report.findings == ()


def rule_test_cases(path: Path):
    """(expectation, rule id, fragment) for every <test> of a vefa testSet file."""
    root = etree.parse(str(path)).getroot()
    for test in root.iter(f"{VEFA}test"):
        fragment = next(child for child in test if child.tag != f"{VEFA}assert")
        fragment_xml = etree.tostring(fragment)
        for expectation in test.find(f"{VEFA}assert"):
            kind = etree.QName(expectation).localname
            if kind in ("success", "error", "warning"):
                yield kind, expectation.text.strip(), fragment_xml


def check_rule_tests(validator, files: list[Path]) -> tuple[int, int, list]:
    checked, caught_errors, wrong = 0, 0, []
    for path in files:
        config = etree.parse(str(path)).getroot().get("configuration", "")
        layer = validation.CEN if config.startswith("tc434") else validation.PEPPOL
        for kind, rule_id, fragment in rule_test_cases(path):
            fired = {f.rule_id: f.flag for f in validator.schematron(fragment, layer)}
            expected_flag = {"error": "fatal", "warning": "warning"}.get(kind)
            ok = rule_id not in fired if kind == "success" else fired.get(rule_id) == expected_flag
            if not ok:
                wrong.append((path.name, kind, rule_id, fired.get(rule_id)))
            checked += 1
            caught_errors += kind == "error" and ok
    return checked, caught_errors, wrong


def test_every_peppol_rule_test_behaves(validator, einvoice_dir):
    files = sorted((einvoice_dir / "examples" / "rule-tests").glob("peppol-*/*.xml"))
    checked, caught_errors, wrong = check_rule_tests(validator, files)
    assert wrong == []
    assert checked >= 200
    assert caught_errors >= 50


def test_a_sample_of_cen_rule_tests_behaves(validator, einvoice_dir):
    files = sorted((einvoice_dir / "examples" / "rule-tests").glob("cen-*/*/*.xml"))
    sample = files[::5]  # every fifth file: all rule families, a fifth of the time
    checked, caught_errors, wrong = check_rule_tests(validator, sample)
    assert wrong == []
    assert len(sample) >= 50
    assert checked >= 200
    assert caught_errors >= 40


def test_xml_that_is_not_well_formed(validator):
    report = validator.validate(b"<Invoice><unclosed></Invoice>")
    assert report.status == validation.INVALID
    assert [f.rule_id for f in report.fatal] == ["XML"]


def test_other_root_element_is_refused_by_the_xsd_layer(validator):
    report = validator.validate(b"<Order xmlns='urn:example'/>")
    assert report.status == validation.INVALID
    assert report.fatal[0].layer == "xsd"
    assert "Invoice or a CreditNote" in report.fatal[0].message


def test_schema_error_is_reported_with_its_line(validator, einvoice_dir):
    xml = (einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml").read_bytes()
    broken = xml.replace(
        b"<cbc:IssueDate>2026-11-20</cbc:IssueDate>", b"<cbc:IssueDate>20 nov</cbc:IssueDate>"
    )
    report = validator.validate(broken)
    xsd = [f for f in report.fatal if f.layer == "xsd"]
    assert xsd and "IssueDate" in xsd[0].text
    assert xsd[0].location.startswith("line ")


def test_rules_without_a_message_of_ours_keep_their_official_wording(validator, einvoice_dir):
    xml = (einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml").read_bytes()
    report = validator.validate(
        xml.replace(b">1210.00</cbc:PayableAmount>", b">1211.00</cbc:PayableAmount>")
    )
    (finding,) = [f for f in report.fatal if f.rule_id == "BR-CO-16"]
    assert finding.text.startswith("[BR-CO-16]-Amount due for payment (BT-115)")
    assert finding.message.startswith("Amount due for payment (BT-115)")


def test_missing_buyer_reference_gets_a_human_message(validator, einvoice_dir):
    xml = (einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml").read_bytes()
    report = validator.validate(
        xml.replace(b"<cbc:BuyerReference>PO-7781</cbc:BuyerReference>", b"")
    )
    (finding,) = [f for f in report.fatal if f.rule_id == "PEPPOL-EN16931-R003"]
    assert finding.message.startswith("Give the document a buyer reference")
    assert "buyer reference or purchase order reference MUST be provided" in finding.text


def test_wrong_kbo_check_digits_are_named(validator, einvoice_dir):
    xml = (einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml").read_bytes()
    report = validator.validate(xml.replace(b">0765432146<", b">0765432147<"))
    rules = {f.rule_id: f.message for f in report.fatal}
    assert "wrong check number" in rules["PEPPOL-COMMON-R043"]


def test_without_rules_nothing_is_validated_and_nothing_breaks(without_rules):
    report = validation.validate_ubl(b"<anything/>")
    assert report.status == validation.NOT_VALIDATED
    assert "einvoice_rules install" in report.reason


def test_validator_is_compiled_once_per_folder(validator):
    assert validation.get_validator(validator.directory) is validator
