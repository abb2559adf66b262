"""render_document, validate_ubl and einvoice_rules from the command line."""

import io
import shutil
import zipfile

import pytest
from django.core.management import CommandError, call_command

from porto.documents.rendering import rules
from tests.factories import make_client, make_finalized


@pytest.mark.django_db
def test_render_document_writes_pdf_and_ubl_into_a_folder(company, with_rules, tmp_path, capsys):
    document = make_finalized(company, make_client(company, language="en"))
    call_command("render_document", document.number, "--format", "pdf+ubl", "-o", str(tmp_path))
    pdf_path = tmp_path / f"Invoice-{document.number}.pdf"
    xml_path = tmp_path / f"Invoice-{document.number}.xml"
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert b"EmbeddedDocumentBinaryObject" in xml_path.read_bytes()
    assert "UBL valid" in capsys.readouterr().out


@pytest.mark.django_db
def test_render_document_to_a_file(company, with_rules, tmp_path):
    document = make_finalized(company)
    target = tmp_path / "out.xml"
    call_command("render_document", document.number, "--format", "ubl", "-o", str(target))
    assert target.read_bytes().startswith(b"<?xml")


@pytest.mark.django_db
def test_render_document_errors_are_clear(company, with_rules, tmp_path):
    with pytest.raises(CommandError, match="No finalized document has number 1999-00001"):
        call_command("render_document", "1999-00001")
    quote = make_finalized(company, kind="quote")
    with pytest.raises(CommandError, match="UBL exists only for invoices and credit notes"):
        call_command("render_document", quote.number, "--format", "ubl", "-o", str(tmp_path))
    invoice = make_finalized(company)
    with pytest.raises(CommandError, match="must be a folder"):
        call_command(
            "render_document", invoice.number, "--format", "pdf+ubl", "-o", str(tmp_path / "x")
        )


def test_validate_ubl_prints_findings_and_fails_on_fatal(
    with_rules, einvoice_dir, tmp_path, capsys
):
    good = einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml"
    call_command("validate_ubl", str(good))
    assert "valid (0 warning(s))" in capsys.readouterr().out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        good.read_bytes().replace(b"<cbc:BuyerReference>PO-7781</cbc:BuyerReference>", b"")
    )
    with pytest.raises(CommandError) as caught:
        call_command("validate_ubl", str(bad))
    assert caught.value.returncode == 1
    out = capsys.readouterr().out
    assert "PEPPOL-EN16931-R003" in out and "Give the document a buyer reference" in out


def test_validate_ubl_without_rules_says_so(without_rules, tmp_path):
    file = tmp_path / "any.xml"
    file.write_bytes(b"<Invoice/>")
    with pytest.raises(CommandError, match="einvoice_rules install") as caught:
        call_command("validate_ubl", str(file))
    assert caught.value.returncode == 2


def test_install_from_folder_then_status(einvoice_dir, settings, tmp_path, capsys):
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "rules"
    with pytest.raises(CommandError, match="No rules installed"):
        call_command("einvoice_rules", "status")
    call_command("einvoice_rules", "install", "--from", str(einvoice_dir))
    assert rules.installed_release(tmp_path / "rules") == rules.PINNED_RELEASE
    assert rules.missing_rule_files(tmp_path / "rules") == []
    call_command("einvoice_rules", "status")
    assert rules.PINNED_RELEASE in capsys.readouterr().out


def copy_release(einvoice_dir, target):
    for path in [*rules.REQUIRED_PATHS, rules.SUMS_FILE]:
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(einvoice_dir / path, target / path)
    return target


def test_install_refuses_a_file_that_does_not_match_its_checksum(einvoice_dir, settings, tmp_path):
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "rules"
    call_command("einvoice_rules", "install", "--from", str(einvoice_dir))
    source = copy_release(einvoice_dir, tmp_path / "source")
    (source / rules.PEPPOL_XSLT).write_bytes(b"<xsl:stylesheet/>")
    with pytest.raises(CommandError, match=r"xslt/peppol-ubl\.xslt does not match its SHA-256"):
        call_command("einvoice_rules", "install", "--from", str(source))
    # The rules installed before are untouched.
    assert rules.verify_installed(tmp_path / "rules") == []


def test_install_refuses_a_folder_without_checksums(einvoice_dir, tmp_path):
    source = copy_release(einvoice_dir, tmp_path / "source")
    (source / rules.SUMS_FILE).unlink()
    with pytest.raises(rules.RulesError, match="has no SHA256SUMS file"):
        rules.install_from_folder(source, tmp_path / "rules")
    assert not (tmp_path / "rules").exists()


def test_status_notices_a_changed_installed_file(einvoice_dir, settings, tmp_path):
    settings.PORTO_EINVOICE_RULES_DIR = tmp_path / "rules"
    rules.install_from_folder(einvoice_dir, tmp_path / "rules")
    (tmp_path / "rules" / rules.CEN_XSLT).write_text("changed")
    with pytest.raises(CommandError, match="was changed since it was installed"):
        call_command("einvoice_rules", "status")


def pinned_downloads(einvoice_dir):
    """What the pinned upstream URLs serve, rebuilt from the shared copy (no network here)."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        for rule in rules.PINNED_FILES:
            if rule.member:
                bundle.writestr(rule.member, (einvoice_dir / rule.path).read_bytes())
    served = {
        rule.url: (einvoice_dir / rule.path).read_bytes()
        for rule in rules.PINNED_FILES
        if not rule.member
    }
    served[rules.PINNED_FILES[2].url] = archive.getvalue()
    return served


def test_pinned_install_checks_every_download(einvoice_dir, tmp_path):
    served = pinned_downloads(einvoice_dir)
    rules.install_pinned(tmp_path / "rules", fetch=served.__getitem__)
    assert rules.installed_release(tmp_path / "rules") == rules.PINNED_RELEASE
    served[rules.PINNED_FILES[0].url] = b"tampered"
    with pytest.raises(rules.RulesError, match="does not match the pinned SHA-256"):
        rules.install_pinned(tmp_path / "other", fetch=served.__getitem__)
    assert not (tmp_path / "other").exists()


def test_pinned_install_without_network_says_what_to_do(tmp_path):
    def offline(url):
        raise ConnectionError("Name or service not known")

    with pytest.raises(rules.RulesError, match="Could not download https://") as caught:
        rules.install_pinned(tmp_path / "rules", fetch=offline)
    assert "install with --from a folder" in str(caught.value)
    assert not (tmp_path / "rules").exists()
