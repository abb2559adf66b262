"""How the PDFs look: long Dutch VAT labels stay in their cell, Chinese and emoji print as
glyphs, and the proof of sending keeps each table row on one page."""

import datetime
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from porto.documents.rendering import pdf
from porto.mail.models import DeliveryEvent
from porto.mail.proof import email_proof_pdf
from tests.documents.pdf_words import Word, squeezed, text, words
from tests.factories import make_client, make_email, make_finalized

AMOUNT = re.compile(r"^-?[\d.]+,\d\d$|^€$")
LONG_LABELS = ["Verlegging van heffing", "Niet onderworpen aan btw", "Vrijgesteld van btw"]


def fonts(content: bytes) -> str:
    """``pdffonts``' table of the fonts embedded in ``content``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(content)
        return subprocess.run(
            ["pdffonts", str(path)], capture_output=True, check=True, text=True
        ).stdout


@pytest.mark.django_db
def test_long_dutch_vat_labels_do_not_overlap_the_amounts(company):
    client = make_client(company, language="nl")
    document = make_finalized(
        company,
        client,
        lines=[
            ("3", "1250.75", "AE", "0", "Verlegging van heffing, art. 51 § 2 Wbtw"),
            ("2", "980.40", "O", "0", "Buiten het toepassingsgebied van de btw"),
            ("1", "1500", "E", "0", "Vrijgesteld, artikel 44 Wbtw"),
            ("4", "99.99", "S", "21"),
        ],
    )
    content = pdf.render_pdf(document)
    page = squeezed(text(content))
    for label in LONG_LABELS:
        assert squeezed(label) in page, label
    label_words = {word for label in LONG_LABELS for word in label.split()} - {"van", "btw"}
    # A word cut by hyphenation ends with U+2010: keep its part before the hyphen.
    labels = [w for w in words(content) if w.text.rstrip("\u2010-") in label_words]
    amounts = [w for w in words(content) if AMOUNT.match(w.text)]
    assert len(labels) >= 6 and len(amounts) >= 16
    overlaps = [(a.text, b.text) for a in labels for b in amounts if a.intersects(b)]
    assert overlaps == []


@pytest.mark.django_db
def test_chinese_and_emoji_are_printed_with_fonts_that_have_them(company):
    client = make_client(company, name="客户 😀", language="en")
    content = pdf.render_pdf(make_finalized(company, client))
    embedded = fonts(content)
    assert "CJK" in embedded
    assert "Emoji" in embedded
    assert {"客户", "😀"} <= {word.text for word in words(content)}


@pytest.mark.django_db
def test_digits_are_not_drawn_with_the_emoji_font(company):
    content = pdf.render_pdf(make_finalized(company, make_client(company, language="nl")))
    embedded = fonts(content)
    assert "DejaVu-Sans" in embedded
    assert "Emoji" not in embedded


@pytest.mark.django_db
def test_proof_of_sending_keeps_every_row_on_one_page(company):
    document = make_finalized(company)
    addresses = tuple(f"ontvanger{n:02d}@klant.example" for n in range(1, 25))
    email = make_email(document, handed_off_at=timezone.now(), to=addresses)
    start = timezone.now() - datetime.timedelta(hours=2)
    for n, recipient in enumerate(email.recipients.order_by("address"), start=1):
        DeliveryEvent.objects.create(
            source="sandbox",
            type="deferred",
            at=start + datetime.timedelta(minutes=n),
            permanent=False,
            reason=(
                f"begin{n:02d} 451 4.7.1 Greylisted: the receiving server asks to try again "
                "later; this message will be retried automatically by the outbox within the "
                f"next few minutes, as it was for every earlier attempt einde{n:02d}"
            ),
            recipient_address=recipient.address,
            recipient=recipient,
            dedupe_key=f"proof-{email.pk}-{n}",
        )
    content = email_proof_pdf(email)
    found = words(content)
    assert max(w.page for w in found) >= 2
    for n in range(1, len(addresses) + 1):
        (first,) = _find(found, f"begin{n:02d}")
        (last,) = _find(found, f"einde{n:02d}")
        assert first.page == last.page, n


def _find(found: list[Word], token: str) -> list[Word]:
    return [w for w in found if w.text == token]
