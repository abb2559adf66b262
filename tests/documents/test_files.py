"""Render once: the first request stores the file with its SHA-256; later ones get those bytes."""

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from porto.documents.models import DocumentKind, RenderedFile
from porto.documents.rendering import files
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.rendering.files import document_files, document_files_prepare
from tests.factories import make_client, make_finalized


def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), color).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.django_db
def test_later_requests_get_the_stored_bytes_even_after_a_new_logo(company, with_rules):
    company.logo.save("red.png", ContentFile(png("red")))
    document = make_finalized(company)
    (first_pdf, first_ubl) = document_files(document, "pdf+ubl")
    company.logo.save("blue.png", ContentFile(png("blue")))
    company.name = "Acme Renamed BV"
    company.save()
    (again_pdf, again_ubl) = document_files(document, "pdf+ubl")
    assert again_pdf.content == first_pdf.content
    assert again_ubl.content == first_ubl.content
    assert first_pdf.sha256 == hashlib.sha256(first_pdf.content).hexdigest()
    assert RenderedFile.objects.filter(document=document).count() == 2
    # A new document does get the new logo and name.
    fresh = files.stored_pdf(make_finalized(company))
    assert fresh.content != first_pdf.content


@pytest.mark.django_db
def test_changed_template_does_not_change_a_stored_file(company, with_rules, monkeypatch):
    document = make_finalized(company)
    (stored,) = document_files(document, "pdf")
    monkeypatch.setattr(files.pdf, "render_pdf", lambda *a, **k: b"%PDF-other template")
    assert document_files(document, "pdf")[0].content == stored.content


@pytest.mark.django_db
def test_prepare_at_finalization_stores_every_format(company, with_rules):
    document = make_finalized(company)
    assert document_files_prepare(document) == []
    formats = set(RenderedFile.objects.filter(document=document).values_list("format", flat=True))
    assert formats == {"pdf", "ubl", "ubl+pdf"}
    row = RenderedFile.objects.get(document=document, format="ubl")
    assert row.validation == "valid" and row.validation_release
    assert row.size == len(row.file.read())


@pytest.mark.django_db
def test_prepare_reports_why_no_ubl_but_keeps_the_pdf(company, with_rules):
    client = make_client(company, street="", postal_code="", city="")
    document = make_finalized(company, client)
    problems = document_files_prepare(document)
    assert problems and problems[0].startswith("The client has no complete address")
    assert set(RenderedFile.objects.filter(document=document).values_list("format", flat=True)) == {
        "pdf"
    }


@pytest.mark.django_db
def test_quote_prepares_only_the_pdf(company, with_rules):
    quote = make_finalized(company, kind=DocumentKind.QUOTE)
    assert document_files_prepare(quote) == []
    assert list(RenderedFile.objects.filter(document=quote).values_list("format", flat=True)) == [
        "pdf"
    ]


@pytest.mark.django_db
def test_a_stored_file_changed_on_disk_is_not_sent(company, with_rules):
    document = make_finalized(company)
    document_files(document, "pdf")
    row = RenderedFile.objects.get(document=document)
    with open(row.file.path, "ab") as file:
        file.write(b"tampered")
    with pytest.raises(DocumentFileError) as caught:
        document_files(document, "pdf")
    assert caught.value.code == "file_changed"
    assert "changed after it was made" in caught.value.messages[0]


@pytest.mark.django_db
def test_a_stored_file_missing_from_storage_is_a_clear_error(company, with_rules):
    document = make_finalized(company)
    document_files(document, "pdf")
    row = RenderedFile.objects.get(document=document)
    row.file.storage.delete(row.file.name)
    with pytest.raises(DocumentFileError) as caught:
        document_files(document, "pdf")
    assert caught.value.code == "file_missing"


@pytest.mark.django_db
def test_two_requests_storing_at_once_keep_one_file(company, with_rules):
    document = make_finalized(company)
    winner = files.rendered_file_store(document, "pdf", b"%PDF-first")
    loser = files.rendered_file_store(document, "pdf", b"%PDF-second")
    assert loser.pk == winner.pk
    assert RenderedFile.objects.filter(document=document).count() == 1
    folder = winner.file.storage.path(winner.file.name).rsplit("/", 2)[0]
    import os

    stored = [name for _, _, names in os.walk(folder) for name in names]
    assert len(stored) == 1  # the loser's file was removed from storage


@pytest.mark.django_db
def test_file_names_follow_the_clients_language(company, with_rules):
    for language, stem in [("nl", "Creditnota"), ("fr", "Note-de-credit"), ("en", "Credit-note")]:
        client = make_client(company, language=language)
        invoice = make_finalized(company, client)
        credit = make_finalized(company, client, kind=DocumentKind.CREDIT_NOTE, corrects=invoice)
        names = [f.filename for f in document_files(credit, "pdf+ubl")]
        assert names == [f"{stem}-{credit.number}.pdf", f"{stem}-{credit.number}.xml"]


@pytest.mark.django_db
def test_files_are_stored_under_unguessable_names(company, with_rules):
    document = make_finalized(company)
    document_files(document, "pdf")
    name = RenderedFile.objects.get(document=document).file.name
    token = name.split("/")[3]
    assert name.startswith(f"rendered/{company.pk}/{document.pk}/") and len(token) >= 20


def test_validation_from_several_threads_gives_the_same_answers(validator, einvoice_dir):
    from concurrent.futures import ThreadPoolExecutor

    good = (einvoice_dir / "examples" / "belgium" / "be-sme-invoice.xml").read_bytes()
    bad = good.replace(b"<cbc:BuyerReference>PO-7781</cbc:BuyerReference>", b"")
    payloads = [good, bad] * 6
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(pool.map(validator.validate, payloads))
    assert [report.is_valid for report in reports] == [True, False] * 6
    assert all(
        [f.rule_id for f in report.fatal] == ["PEPPOL-EN16931-R003"] for report in reports[1::2]
    )
