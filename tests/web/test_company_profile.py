"""The company pages: the profile (/company/) and the number series (/company/numbering/).
Owners only: a member gets 404, an outsider only ever reaches their own company. Each field
saved and shown, each refusal with its message next to the field, nothing half-saved; a
finalized document keeps the seller it was finalized with."""

import io
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from porto.accounts.models import LOGO_MAX_BYTES, Company
from porto.documents.models import DocumentKind, NumberFormat
from porto.documents.numbering import next_number
from porto.documents.rendering.files import stored_ubl
from porto.documents.services import document_finalize
from tests.browser_support import log_in
from tests.factories import make_client, make_document, make_finalized, make_user

pytestmark = pytest.mark.django_db

PROFILE = "/company/"
SERIES = "/company/numbering/"
LOGO = "/company/logo/"
PASSWORD = "s3cret-pass!"  # every user the factory makes


class FormFields(HTMLParser):
    """The name → value pairs a browser would post from the page's form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("file", "submit"):
            if attributes.get("type") == "checkbox":
                if "checked" in attributes:
                    self.values[name] = attributes.get("value") or "on"
            else:
                self.values[name] = attributes.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value") or ""

    def handle_endtag(self, tag) -> None:
        if tag == "select":
            self._select = None


def posted_form(http, url: str, **changes) -> dict:
    """The page's form as the browser would send it, with ``changes`` typed in."""
    parser = FormFields()
    parser.feed(http.get(url).content.decode())
    values = parser.values
    values.pop("csrfmiddlewaretoken", None)
    values.pop("language", None)  # the menu's language switch, another form
    values.pop("next", None)
    return values | changes


def png(size=(120, 40), color="navy", image_format="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(content: bytes, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def errors_of(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


@pytest.fixture
def member_client(teammate):
    http = HttpClient()
    http.force_login(teammate)
    return http


# --- Who may open the pages ---


@pytest.mark.parametrize("url", [PROFILE, SERIES])
def test_the_owner_opens_the_company_pages(owner_client, url):
    response = owner_client.get(url)

    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", PROFILE), ("post", PROFILE), ("get", SERIES), ("post", SERIES), ("get", LOGO)],
)
def test_a_member_gets_404_on_the_company_pages(member_client, company, url, method):
    response = getattr(member_client, method)(url, {"name": "Taken Over BV"})

    assert response.status_code == 404
    assert Company.objects.get(pk=company.pk).name == "Acme BV"


@pytest.mark.parametrize("url", [PROFILE, SERIES])
def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_menu_shows_company_to_owners_only(owner_client, member_client):
    link = f'href="{reverse("company_profile")}"'.encode()

    assert link in owner_client.get("/documents/").content
    assert link not in member_client.get("/documents/").content


def test_an_outsider_sees_and_changes_only_their_own_company(outsider_client, company):
    page = outsider_client.get(PROFILE)
    payload = posted_form(outsider_client, PROFILE, name="Outsider Renamed NV")
    response = outsider_client.post(PROFILE, payload)

    assert page.context["profile"].name == "Other Company NV"
    assert b"Acme BV" not in page.content
    assert response.status_code == 302
    assert Company.objects.get(pk=company.pk).name == "Acme BV"
    assert Company.objects.filter(name="Outsider Renamed NV").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_outsider_cannot_switch_to_our_company_to_reach_its_pages(
    outsider_client, company, method
):
    switched = outsider_client.post("/company/switch/", {"company": str(company.pk)})
    response = getattr(outsider_client, method)(SERIES, {"invoice_prefix": "HACK"})

    assert switched.status_code == 404
    assert response.status_code in (200, 302)
    assert not NumberFormat.objects.filter(company=company).exists()


@pytest.mark.parametrize("url", [PROFILE, SERIES])
def test_an_outsider_with_a_forged_session_company_still_gets_their_own(
    outsider_client, company, url
):
    session = outsider_client.session
    session["porto_company_id"] = company.pk
    session.save()

    page = outsider_client.get(url)
    saved = outsider_client.post(url, posted_form(outsider_client, url, name="Forged BV"))

    assert b"Acme BV" not in page.content
    assert saved.status_code == 302
    assert Company.objects.get(pk=company.pk).name == "Acme BV"


def test_a_user_without_a_company_gets_404(client, db):
    client.force_login(make_user(None))

    assert client.get(PROFILE).status_code == 404
    assert client.post(SERIES, {}).status_code == 404


@pytest.mark.parametrize("url", [PROFILE, SERIES])
def test_a_post_without_the_csrf_token_is_refused(owner, company, url):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(owner)
    payload = posted_form(http, url, name="Forged BV", invoice_prefix="X")

    response = http.post(url, payload)

    assert response.status_code == 403
    assert Company.objects.get(pk=company.pk).name == "Acme BV"
    assert not NumberFormat.objects.filter(company=company).exists()


# --- The profile ---


def test_every_profile_field_is_saved_in_compact_form_and_shown(owner_client, company):
    typed = {
        "name": "Bakkerij Peeters & Zonen BV",
        "street": "Grote Markt 12",
        "postal_code": "9000",
        "city": "Gent",
        "country": "be",
        "kbo_number": "0403.170.701",
        "vat_number": "BE 0403.170.701",
        "iban": "be68 5390 0754 7034",
        "bic": "gkccbebb",
        "phone": "+32 9 123 45 67",
        "email": "boekhouding@peeters.example",
        "default_language": "fr",
    }

    response = owner_client.post(PROFILE, posted_form(owner_client, PROFILE, **typed))

    assert (response.status_code, response["Location"]) == (302, PROFILE)
    saved = Company.objects.get(pk=company.pk)
    assert {name: getattr(saved, name) for name in typed} == typed | {
        "country": "BE",
        "kbo_number": "0403170701",
        "vat_number": "BE0403170701",
        "iban": "BE68539007547034",
        "bic": "GKCCBEBB",
    }
    page = owner_client.get(PROFILE)
    shown = FormFields()
    shown.feed(page.content.decode())
    for name in ("name", "street", "postal_code", "city", "country", "vat_number", "bic"):
        assert shown.values[name] == getattr(saved, name)
    assert (shown.values["phone"], shown.values["email"]) == (typed["phone"], typed["email"])
    assert shown.values["kbo_number"] == "0403.170.701"
    assert shown.values["iban"] == "BE68 5390 0754 7034"
    assert shown.values["default_language"] == "fr"


def test_saving_shows_a_confirmation(owner_client):
    payload = posted_form(owner_client, PROFILE, phone="+32 3 000 00 00")

    response = owner_client.post(PROFILE, payload, follow=True)

    assert (
        "The company profile is saved. New documents use it; finalized documents keep the "
        "details they were finalized with."
    ) in [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name", "Fill in the company's legal name."),
        ("street", "Fill in the street and number."),
        ("postal_code", "Fill in the postal code."),
        ("city", "Fill in the city."),
        ("country", "Fill in the country as its two-letter code, like BE."),
        ("kbo_number", "Fill in the KBO/BCE number, like 0123.456.749."),
        ("iban", "Fill in the IBAN of the account your clients pay into."),
        ("email", "Fill in the email address where replies from clients should go."),
    ],
)
def test_an_empty_required_field_is_refused_next_to_it(owner_client, company, field, message):
    payload = posted_form(owner_client, PROFILE, phone="+32 1", **{field: ""})

    response = owner_client.post(PROFILE, payload)

    assert response.status_code == 200
    assert errors_of(response, field) == [message]
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Company.objects.get(pk=company.pk).phone == ""


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (
            "kbo_number",
            "0123.456.789",
            "The KBO/BCE number 0123.456.789 has a wrong check number (last two digits): "
            "check it for a typing mistake.",
        ),
        (
            "kbo_number",
            "12345",
            "A KBO/BCE number has 10 digits, like 0123.456.749; 12345 does not.",
        ),
        (
            "vat_number",
            "0403170701",
            "A VAT number starts with the country code, like BE0123456749; 0403170701 does not.",
        ),
        (
            "iban",
            "BE68 5390 0754 7035",
            "The IBAN BE68 5390 0754 7035 has a wrong checksum: check it for a typing mistake.",
        ),
        ("bic", "GKCC", "A BIC has 8 or 11 letters and digits, like GKCCBEBB; GKCC does not."),
        ("country", "Belgium", "Write the country as its two-letter code, like BE or NL."),
        ("email", "boekhouding@", "Enter a valid email address."),
    ],
)
def test_a_wrong_value_is_refused_with_its_fix_and_nothing_is_saved(
    owner_client, company, field, typed, message
):
    payload = posted_form(owner_client, PROFILE, name="Half Saved BV", **{field: typed})

    response = owner_client.post(PROFILE, payload)

    assert response.status_code == 200
    assert errors_of(response, field) == [message]
    assert "Nothing was saved: correct the fields marked below." in response.content.decode()
    assert Company.objects.get(pk=company.pk).name == "Acme BV"


# --- The logo ---


def test_a_logo_is_uploaded_shown_replaced_and_removed(
    owner_client, company, django_capture_on_commit_callbacks
):
    first, second = png(color="navy"), png(color="red", image_format="JPEG")

    owner_client.post(PROFILE, posted_form(owner_client, PROFILE) | {"logo": upload(first)})
    first_name = Company.objects.get(pk=company.pk).logo.name
    shown = owner_client.get(LOGO)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            PROFILE, posted_form(owner_client, PROFILE) | {"logo": upload(second, "new.jpg")}
        )
    replaced = Company.objects.get(pk=company.pk).logo
    replaced_content = replaced.read()
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(PROFILE, posted_form(owner_client, PROFILE, remove_logo="on"))
    removed = Company.objects.get(pk=company.pk).logo

    assert (shown.status_code, shown["Content-Type"]) == (200, "image/png")
    assert b"".join(shown.streaming_content) == first
    assert replaced_content == second
    assert not replaced.storage.exists(first_name)
    assert not removed
    assert not replaced.storage.exists(replaced.name)
    assert owner_client.get(LOGO).status_code == 404


def test_the_page_shows_the_current_logo_and_offers_to_remove_it(owner_client):
    before = owner_client.get(PROFILE).content.decode()
    owner_client.post(PROFILE, posted_form(owner_client, PROFILE) | {"logo": upload(png())})
    after = owner_client.get(PROFILE).content.decode()

    assert f'src="{LOGO}"' not in before
    assert f'src="{LOGO}"' in after
    assert 'name="remove_logo"' in after
    assert "Replace the logo" in after


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            b"%PDF-1.4 not an image",
            "logo.png",
            "The logo must be an image in PNG, JPEG, GIF or WebP; this file is not one.",
        ),
        (
            png(image_format="BMP"),
            "logo.bmp",
            "The logo must be a PNG, JPEG, GIF or WebP file; bmp files are not accepted.",
        ),
        (
            png(image_format="BMP"),
            "logo.png",
            "The logo must be an image in PNG, JPEG, GIF or WebP; this file is not one.",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "logo.svg",
            "The logo must be an image in PNG, JPEG, GIF or WebP; this file is not one.",
        ),
    ],
)
def test_a_file_that_is_not_a_usable_image_is_refused(
    owner_client, company, content, name, message
):
    payload = posted_form(owner_client, PROFILE) | {"logo": upload(content, name)}

    response = owner_client.post(PROFILE, payload)

    assert errors_of(response, "logo") == [message]
    assert not Company.objects.get(pk=company.pk).logo


def test_a_logo_over_the_size_limit_is_refused(owner_client, company):
    noise = Image.frombytes("RGB", (800, 800), bytes(range(256)) * 7500)
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG", compress_level=0)
    assert buffer.tell() > LOGO_MAX_BYTES
    payload = posted_form(owner_client, PROFILE) | {"logo": upload(buffer.getvalue())}

    response = owner_client.post(PROFILE, payload)

    kilobytes = -(-buffer.tell() // 1024)
    assert errors_of(response, "logo") == [
        f"The logo is {kilobytes} KB; the largest logo Porto accepts is 1024 KB: save it "
        "smaller, for example at a lower resolution."
    ]
    assert not Company.objects.get(pk=company.pk).logo


def test_a_logo_with_too_many_pixels_is_refused(owner_client, company):
    buffer = io.BytesIO()
    Image.new("1", (5001, 5000)).save(buffer, format="PNG")  # small file, many pixels
    payload = posted_form(owner_client, PROFILE) | {"logo": upload(buffer.getvalue())}

    response = owner_client.post(PROFILE, payload)

    assert errors_of(response, "logo") == [
        "The logo has too many pixels: upload a logo of at most 5000 by 5000 pixels."
    ]
    assert not Company.objects.get(pk=company.pk).logo


# --- What documents get ---


def test_a_profile_change_never_changes_a_finalized_document(owner_client, company):
    document = make_finalized(company)
    snapshot = dict(document.seller_snapshot)
    ubl_before = stored_ubl(document, embed_pdf=False)

    payload = posted_form(
        owner_client, PROFILE, name="Renamed Later NV", iban="BE71 0961 2345 6769"
    )
    assert owner_client.post(PROFILE, payload).status_code == 302
    document.refresh_from_db()
    ubl_after = stored_ubl(document, embed_pdf=False)

    assert document.seller_snapshot == snapshot
    assert snapshot["name"] == "Acme BV"
    assert ubl_after.content == ubl_before.content
    assert b"Acme BV" in ubl_after.content
    assert b"Renamed Later NV" not in ubl_after.content


def test_a_document_finalized_after_the_change_carries_the_new_profile(owner_client, company):
    payload = posted_form(owner_client, PROFILE, name="Renamed NV", iban="BE71 0961 2345 6769")
    owner_client.post(PROFILE, payload)

    document = make_finalized(Company.objects.get(pk=company.pk))

    assert document.seller_snapshot["name"] == "Renamed NV"
    assert document.seller_snapshot["iban"] == "BE71096123456769"


# --- The number series ---


def year() -> int:
    return timezone.localdate().year


def test_the_series_page_shows_each_kind_with_its_next_number(owner_client):
    page = owner_client.get(SERIES).content.decode()

    y = year()
    for sentence in (
        f'Next invoice: <output data-example-for="invoice" aria-live="polite">{y}-00001</output>',
        f'Next credit note: <output data-example-for="credit_note" aria-live="polite">CN-{y}-00001',
        f'Next quote: <output data-example-for="quote" aria-live="polite">Q-{y}-00001</output>',
        f'Next other document: <output data-example-for="other" aria-live="polite">D-{y}-00001',
    ):
        assert sentence in page
    assert 'src="/static/porto/number_series.js"' in page


def test_a_prefix_and_a_start_set_on_the_page_number_the_next_finalized_invoice(
    owner_client, company
):
    payload = posted_form(owner_client, SERIES, invoice_prefix="F", invoice_next_number="153")

    response = owner_client.post(SERIES, payload, follow=True)
    invoice = document_finalize(make_document(company, make_client(company)))

    assert "The number series are saved." in [str(m) for m in response.context["messages"]]
    assert "Next invoice: <output" in response.content.decode()
    assert f">F{year()}-00153</output>" in response.content.decode()
    assert invoice.number == f"F{year()}-00153"
    assert next_number(company.pk, DocumentKind.INVOICE, year()) == f"F{year()}-00154"


def test_a_wrong_prefix_is_shown_next_to_its_field_and_nothing_is_saved(owner_client, company):
    payload = posted_form(
        owner_client, SERIES, invoice_prefix="F", invoice_next_number="153", quote_prefix="OF 1"
    )

    response = owner_client.post(SERIES, payload)

    message = "A prefix holds only letters A to Z, digits and the signs - / . _: remove space."
    assert response.status_code == 200
    assert errors_of(response, "quote_prefix") == [message]
    page = response.content.decode()
    assert 'aria-describedby="id_quote_prefix_error"' in page
    assert f'<div id="id_quote_prefix_error"><p class="error">{message}</p></div>' in page
    assert next_number(company.pk, DocumentKind.INVOICE, year()) == f"{year()}-00001"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Fill in the next number, for example 1."),
        ("12a", "The next number is a whole number, like 153."),
        ("0", "The next number is a whole number from 1 to 99999."),
        ("100000", "The next number is a whole number from 1 to 99999."),
    ],
)
def test_a_wrong_next_number_is_refused_with_its_message(owner_client, typed, message):
    payload = posted_form(owner_client, SERIES, credit_note_next_number=typed)

    response = owner_client.post(SERIES, payload)

    assert errors_of(response, "credit_note_next_number") == [message]


def test_a_next_number_already_used_is_refused_with_the_last_number(owner_client, company):
    buyer = make_client(company)
    for _ in range(2):
        document_finalize(make_document(company, buyer))
    payload = posted_form(owner_client, SERIES, invoice_next_number="2")

    response = owner_client.post(SERIES, payload)

    assert errors_of(response, "invoice_next_number") == [
        f"{year()}-00002 is the last number used this year: the next number must be 3 or higher."
    ]


def test_an_untouched_next_number_is_kept_when_a_document_took_it_meanwhile(owner_client, company):
    payload = posted_form(owner_client, SERIES, quote_prefix="OFF-")  # shows next invoice 1
    document_finalize(make_document(company, make_client(company)))  # takes invoice 1

    response = owner_client.post(SERIES, payload)

    assert response.status_code == 302
    assert next_number(company.pk, DocumentKind.INVOICE, year()) == f"{year()}-00002"
    assert next_number(company.pk, DocumentKind.QUOTE, year()) == f"OFF-{year()}-00001"


def test_a_prefix_shared_with_another_kind_is_refused_on_the_page(owner_client):
    payload = posted_form(owner_client, SERIES, other_prefix="Q-")

    response = owner_client.post(SERIES, payload)

    assert errors_of(response, "other_prefix") == [
        "Quotes already use this prefix: give each kind its own prefix so that every number "
        "stays unique."
    ]


# --- In a real browser ---


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_example_follows_what_is_typed_and_saving_keeps_it(
    live_server, page, owner, company, screenshot
):
    log_in(page, live_server, owner.username, PASSWORD)
    page.goto(live_server.url + SERIES)
    example = page.locator('output[data-example-for="invoice"]')
    assert example.inner_text() == f"{year()}-00001"

    page.get_by_label("Prefix for invoices").fill("F")
    page.get_by_label("Next number for invoices").fill("153")

    assert example.inner_text() == f"F{year()}-00153"
    screenshot(page, "number-series")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The number series are saved.").wait_for()
    assert page.locator('output[data-example-for="invoice"]').inner_text() == f"F{year()}-00153"
    assert next_number(company.pk, DocumentKind.INVOICE, year()) == f"F{year()}-00153"


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_owner_fills_the_profile_and_uploads_a_logo(
    live_server, page, owner, company, tmp_path, screenshot
):
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    log_in(page, live_server, owner.username, PASSWORD)
    page.goto(live_server.url + "/documents/")
    page.get_by_role("link", name="Company").click()

    page.get_by_label("Legal name").fill("Bakkerij Peeters BV")
    page.get_by_label("IBAN").fill("BE68 5390 0754 7034")
    page.get_by_role("button", name="Logo").set_input_files(str(logo))
    page.get_by_role("button", name="Save").click()

    page.get_by_text("The company profile is saved.").wait_for()
    assert page.get_by_role("img", name="Logo of Bakkerij Peeters BV").is_visible()
    screenshot(page, "company-profile")
    saved = Company.objects.get(pk=company.pk)
    assert (saved.name, saved.iban) == ("Bakkerij Peeters BV", "BE68539007547034")
    assert saved.logo.read() == logo.read_bytes()
