"""What a worker keeps between renders (porto/documents/rendering/pdf_cache.py) and the reads
of a document's parts: faster, and the same pages. Speed itself is measured in bench/."""

import subprocess
import tempfile
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from PIL import Image, ImageDraw
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from porto.documents.rendering import pdf, pdf_cache, ubl
from porto.documents.rendering.errors import DocumentFileError
from porto.documents.selectors import document_with_parts
from tests.documents.rich_documents import add_line, add_line_adjustment, finalize
from tests.documents.test_pdf import pages_text
from tests.factories import make_client, make_document, make_finalized


@pytest.fixture(autouse=True)
def _cold_worker():
    pdf_cache.clear()
    yield
    pdf_cache.clear()


def logo_png(colour: str) -> bytes:
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse([(5, 5), (95, 95)], fill=colour)
    path = Path(tempfile.mkdtemp()) / "logo.png"
    image.save(path)
    return path.read_bytes()


def with_logo(company, colour: str = "#0a5"):
    company.logo.save("logo.png", ContentFile(logo_png(colour)))
    return company


def page_images(content: bytes) -> list[bytes]:
    """Each page as poppler draws it (PNG bytes, 50 dpi)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(content)
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(source), f"{folder}/page"], check=True)
        return [path.read_bytes() for path in sorted(Path(folder).glob("page*.png"))]


def uncached_render(document) -> bytes:
    """The PDF as WeasyPrint draws it left to its defaults: the whole stylesheet in the page's
    <style> element, a new font configuration, no image cache (how Porto rendered before)."""
    document = document_with_parts(document)
    language = pdf.document_language(document)
    with translation.override(language):
        html = render_to_string(
            "documents/pdf/document.html",
            pdf.pdf_context(document, pdf.logo_data_uri(document.company)),
        )
    stylesheet = render_to_string(pdf.STYLESHEET)
    html = html.replace("<style>", f"<style>{stylesheet}\n", 1)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


@pytest.mark.django_db
def test_the_cached_render_draws_the_same_pages_as_weasyprints_defaults(company):
    with_logo(company)
    client = make_client(company, language="fr")
    long_invoice = make_finalized(company, client, lines=[("2", "10.50", "S", "21")] * 60)
    short_invoice = make_finalized(company, client, lines=[("8", "95", "S", "21")])
    for document in (long_invoice, short_invoice):
        expected = uncached_render(document)
        pdf.render_pdf(document)  # warms the cache
        cached = pdf.render_pdf(document)
        assert pages_text(cached) == pages_text(expected)
        assert page_images(cached) == page_images(expected)
    assert len(page_images(pdf.render_pdf(long_invoice))) > 1


@pytest.mark.django_db
def test_a_worker_parses_the_stylesheet_once_for_many_documents(company, monkeypatch):
    parsed = []
    real_css = pdf_cache.CSS

    def counting_css(**kwargs):
        parsed.append(kwargs["string"])
        return real_css(**kwargs)

    monkeypatch.setattr(pdf_cache, "CSS", counting_css)
    for quantity in ("1", "2", "3"):
        pdf.render_pdf(make_finalized(company, lines=[(quantity, "100", "S", "21")]))
    assert parsed == [render_to_string(pdf.STYLESHEET)]


def test_a_changed_stylesheet_is_parsed_again():
    first = pdf_cache.stylesheet("p { color: red }")
    assert pdf_cache.stylesheet("p { color: red }") is first
    assert pdf_cache.stylesheet("p { color: blue }") is not first


def test_a_thread_keeps_its_own_font_configuration():
    mine = pdf_cache.font_config()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(pdf_cache.font_config()))
    thread.start()
    thread.join()
    assert pdf_cache.font_config() is mine
    assert seen[0] is not mine


@pytest.mark.django_db
def test_the_logo_is_checked_once_per_content_and_again_when_it_changes(company, monkeypatch):
    checked = []
    real_check = pdf._image_type

    def counting_check(data: bytes) -> str:
        checked.append(len(data))
        return real_check(data)

    monkeypatch.setattr(pdf, "_image_type", counting_check)
    with_logo(company, "#0a5")
    first = pdf.logo_data_uri(company)
    assert pdf.logo_data_uri(company) is first
    assert len(checked) == 1
    with_logo(company, "#c30")
    second = pdf.logo_data_uri(company)
    assert second != first and second.startswith("data:image/png;base64,")
    assert len(checked) == 2


@pytest.mark.django_db
def test_a_refused_logo_is_refused_again_not_kept(company):
    company.logo.save("logo.png", ContentFile(b"not an image at all"))
    for _ in range(2):
        with pytest.raises(DocumentFileError) as refused:
            pdf.logo_data_uri(company)
        assert refused.value.code == "logo_not_image"


@pytest.mark.django_db
def test_the_image_cache_keeps_the_logo_and_no_qr_code(company):
    with_logo(company)
    logo = pdf.logo_data_uri(company)
    for quantity in ("1", "2"):
        pdf.render_pdf(make_finalized(company, lines=[(quantity, "100", "S", "21")]))
    kept = pdf_cache.image_cache()
    assert logo in kept
    assert not [key for key in kept if key.startswith("data:image/svg+xml")]


def test_the_image_cache_is_emptied_between_renders_once_full():
    cache = pdf_cache.image_cache()
    for n in range(pdf_cache.IMAGE_ENTRIES_KEPT + 1):
        cache[f"entry-{n}"] = b"data"
    assert len(cache) == pdf_cache.IMAGE_ENTRIES_KEPT + 1
    assert len(pdf_cache.image_cache()) == 0


def lines_with_adjustments(company, count: int):
    document = make_document(company, make_client(company), lines=[])
    for n in range(count):
        line = add_line(document, f"Line {n}", "2", "50.00")
        add_line_adjustment(line, percentage=Decimal("10"), reason_code="95", reason="Korting")
    return finalize(document)


@pytest.mark.django_db
@pytest.mark.parametrize("render", [pdf.render_pdf, ubl.render_ubl], ids=["pdf", "ubl"])
def test_the_queries_of_a_render_do_not_grow_with_its_lines(company, render):
    queries = []
    for count in (1, 8):
        document = lines_with_adjustments(company, count)
        document = type(document).objects.get(pk=document.pk)
        with CaptureQueriesContext(connection) as captured:
            render(document)
        queries.append(len(captured))
    assert queries[0] == queries[1]


@pytest.mark.django_db
def test_a_render_leaves_no_stale_lines_on_the_callers_document(company):
    draft = make_document(company, make_client(company), lines=[("1", "100", "S", "21")])
    assert "Second line" not in pages_text(pdf.render_pdf(draft))[0]
    add_line(draft, "Second line", "1", "5")
    assert "Second line" in pages_text(pdf.render_pdf(draft))[0]
    assert [line.name for line in draft.lines.all()] == ["Line 1", "Second line"]
