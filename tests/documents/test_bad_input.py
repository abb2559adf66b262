"""Every bad input gets a clear message, or a correctly escaped file; never an invalid UBL
shipped as valid, never a crash."""

import datetime

import pytest
from django.core.files.base import ContentFile
from lxml import etree

from porto.documents.models import Document, DocumentKind, RenderedFile
from porto.documents.rendering import ubl
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.rendering.files import document_files
from porto.documents.services import (
    Problem,
    client_snapshot,
    finalization_problems,
)
from tests.factories import make_client, make_document, make_finalized

NS = {"cac": ubl.CAC, "cbc": ubl.CBC}


def finalized_as_is(document: Document, number: str = "2026-00900") -> Document:
    """A document stored as finalized without the finalization checks (imported data)."""
    Document.objects.filter(pk=document.pk).update(
        status=Document.Status.FINALIZED,
        number=number,
        issue_date=datetime.date(2026, 3, 2),
        due_date=datetime.date(2026, 4, 1),
        structured_communication="+++202/6000/09035+++",
        client_snapshot=client_snapshot(document.client) if document.client else {},
    )
    return Document.objects.select_related("company").get(pk=document.pk)


def messages_of(document: Document, fmt: str = "ubl") -> list[str]:
    with pytest.raises(DocumentFileError) as caught:
        document_files(document, fmt)
    assert not RenderedFile.objects.filter(document=document).exclude(format="pdf").exists()
    return caught.value.messages


@pytest.mark.django_db
def test_business_client_without_vat_or_kbo(company, with_rules):
    client = make_client(company, vat_number="", kbo_number="", peppol_scheme="", peppol_id="")
    document = make_finalized(company, client)
    (message,) = messages_of(document)
    assert message.startswith(
        "The client has no VAT number or KBO number: required for UBL. Add it to the client."
    )
    assert "send this one as PDF" in message
    assert document_files(document, "pdf")[0].content.startswith(b"%PDF")


@pytest.mark.django_db
def test_private_person_gets_pdf_only(company, with_rules):
    client = make_client(
        company, kind="person", name="Sarah Janssens", vat_number="", kbo_number="",
        peppol_scheme="", peppol_id="",
    )  # fmt: skip
    (message,) = messages_of(make_finalized(company, client))
    assert message.startswith("Sarah Janssens is a private person without a VAT or KBO number")


@pytest.mark.django_db
def test_client_without_address(company, with_rules):
    client = make_client(company, street="", postal_code="", city="")
    (message,) = messages_of(make_finalized(company, client))
    assert message.startswith("The client has no complete address")


@pytest.mark.django_db
def test_currency_other_than_eur(company, with_rules):
    draft = make_document(company, make_client(company), currency="USD")
    assert Problem("currency", "Porto issues documents in EUR only; this one is in USD.") in (
        finalization_problems(draft)
    )
    document = finalized_as_is(draft)
    assert "Porto issues UBL in EUR only; this document is in USD." in messages_of(document)


@pytest.mark.django_db
def test_line_with_zero_quantity(company, with_rules):
    draft = make_document(
        company, make_client(company), lines=[("0", "10", "S", "21"), ("1", "5", "S", "21")]
    )
    assert finalization_problems(draft) == [
        Problem("lines-1-quantity", "Line 1 has quantity 0: give a quantity or remove the line.")
    ]
    assert messages_of(finalized_as_is(draft)) == [
        "Line 1 has quantity 0: give a quantity or remove the line."
    ]


@pytest.mark.django_db
def test_exemption_category_without_reason(company, with_rules):
    draft = make_document(company, make_client(company), lines=[("1", "10", "E", "0")])
    (message,) = messages_of(finalized_as_is(draft))
    assert message.startswith("Say why no VAT is charged for Exempt from VAT: choose the")


@pytest.mark.parametrize("kind", [DocumentKind.QUOTE, DocumentKind.OTHER])
@pytest.mark.django_db
def test_ubl_for_quotes_and_other_documents_is_refused(company, with_rules, kind):
    document = make_finalized(company, kind=kind, title="Delivery note")
    for fmt in ("ubl", "pdf+ubl"):
        (message,) = messages_of(document, fmt)
        assert message.startswith("UBL exists only for invoices and credit notes")
    assert document_files(document, "pdf")[0].filename.endswith(".pdf")


@pytest.mark.django_db
def test_draft_is_refused(company, with_rules):
    draft = make_document(company, make_client(company))
    (message,) = messages_of(draft, "pdf")
    assert message.startswith("Finalize the document before sending it")


@pytest.mark.django_db
def test_unknown_format_is_refused(company, with_rules):
    (message,) = messages_of(make_finalized(company), "docx")
    assert "docx is not one of them" in message


@pytest.mark.django_db
def test_control_characters_and_markup_in_a_description_are_escaped(company, with_rules):
    draft = make_document(company, make_client(company))
    line = draft.lines.get()
    line.name = 'Design\x01 \x0b<b>bold</b> & "quotes"\x1f'
    line.save()  # imported as is: the editor and finalization refuse control characters
    document = finalized_as_is(draft)
    _pdf_file, ubl_file = document_files(document, "pdf+ubl")
    assert ubl_file.validation == "valid"
    name = etree.fromstring(ubl_file.content).findtext(
        "cac:InvoiceLine/cac:Item/cbc:Name", namespaces=NS
    )
    assert name == 'Design <b>bold</b> & "quotes"'
    assert b"&lt;b&gt;bold&lt;/b&gt; &amp;" in ubl_file.content


@pytest.mark.django_db
def test_ubl_failing_the_official_rules_is_never_stored_or_sent(company, with_rules):
    company.vat_number = ""
    company.save()
    document = make_finalized(company)
    with pytest.raises(DocumentFileError) as caught:
        document_files(document, "ubl")
    assert caught.value.code == "ubl_invalid"
    assert "BR-S-02" in caught.value.rule_ids
    assert any(
        message.startswith("Your company has no VAT number: add it on the Company page")
        and message.endswith("(rule BR-S-02)")
        for message in caught.value.messages
    )
    assert not RenderedFile.objects.filter(document=document, format="ubl").exists()


@pytest.mark.django_db
def test_client_peppol_id_with_wrong_check_digits(company, with_rules):
    client = make_client(company)
    # The client form refuses such a number; an import might not.
    client.peppol_id = client.kbo_number[:-1] + str((int(client.kbo_number[-1]) + 1) % 10)
    client.save()
    with pytest.raises(DocumentFileError) as caught:
        document_files(make_finalized(company, client), "ubl")
    assert "PEPPOL-COMMON-R043" in caught.value.rule_ids
    assert any("wrong check number" in message for message in caught.value.messages)


@pytest.mark.django_db
def test_oversized_logo(company, with_rules):
    company.logo.save("big.png", ContentFile(b"\x89PNG" + b"0" * (1024 * 1024 + 1)))
    (message,) = messages_of(make_finalized(company), "pdf")
    assert message == (
        "The company logo is larger than 1024 KB: upload a smaller logo (PNG or JPEG) on the "
        "Company page."
    )


@pytest.mark.django_db
def test_logo_whose_file_is_gone_says_to_upload_it_again_on_the_company_page(company, with_rules):
    company.logo.save("logo.png", ContentFile(b"\x89PNG"))
    company.logo.storage.delete(company.logo.name)
    (message,) = messages_of(make_finalized(company), "pdf")
    assert message.startswith("The company logo cannot be read (")
    assert message.endswith("): upload it again on the Company page.")


@pytest.mark.django_db
def test_logo_that_is_not_an_image(company, with_rules):
    company.logo.save("logo.png", ContentFile(b"<html>not an image</html>"))
    (message,) = messages_of(make_finalized(company), "pdf")
    assert message == (
        "The company logo is not an image Porto can use: upload it again on the Company page as "
        "PNG, JPEG, GIF or WebP."
    )


@pytest.mark.django_db
def test_without_rules_ubl_is_made_but_marked_not_validated(
    company, without_rules, settings, validator
):
    document = make_finalized(company)
    (stored,) = document_files(document, "ubl")
    assert stored.validation == "not_validated"
    assert stored.validation_message.startswith("This UBL file was not checked")
    assert etree.fromstring(stored.content).findtext("cbc:ID", namespaces=NS) == document.number
    # Once the rules are installed, the stored file is checked (not made again).
    settings.PORTO_EINVOICE_RULES_DIR = validator.directory
    (again,) = document_files(document, "ubl")
    assert again.validation == "valid"
    assert again.validation_message == ""
    assert again.sha256 == stored.sha256
    assert RenderedFile.objects.get(document=document, format="ubl").validation == "valid"


@pytest.mark.django_db
def test_logo_with_too_many_pixels(company, with_rules):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (6000, 6000)).save(buffer, "PNG")  # a few KB, 36 million pixels
    company.logo.save("huge.png", ContentFile(buffer.getvalue()))
    (message,) = messages_of(make_finalized(company), "pdf")
    assert message.startswith("The company logo has too many pixels")


@pytest.mark.django_db
def test_messages_speak_the_users_language(company, with_rules):
    from django.utils import translation

    client = make_client(company, street="", postal_code="", city="")
    document = make_finalized(company, client)
    with translation.override("nl"):
        (message,) = messages_of(document)
    assert message.startswith("De klant heeft geen volledig adres")
    with translation.override("fr"):
        (message,) = messages_of(document)
    assert message.startswith("Le client n'a pas d'adresse complète")
