"""The Content-Security-Policy in a real Chromium: the main pages load without a single
violation reported on the console, and what used to be inline script still works from the
static files (company switch, language switch, confirm before reset and delete, "Send now"
disabling itself, the SMTP fields of Email settings)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from porto.accounts.models import Membership
from porto.emailtexts.defaults import SHIPPED
from porto.emailtexts.models import EmailText
from porto.emailtexts.services import email_text_for, email_text_update
from porto.sandbox.services import sandbox_message_receive
from tests.factories import make_client, make_finalized
from tests.mail.conftest import prestore_pdf
from tests.sandbox.helpers import build_email
from tests.web.browser.test_send_limits import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def invoice(company):
    client = make_client(
        company, language="nl", name="Bakkerij Peeters BV", emails=("b@p.example",)
    )
    document = make_finalized(company, client)
    prestore_pdf(document)
    return document


@pytest.fixture
def violations(page):
    """Every console message of the page (and its frames) that reports a blocked resource,
    and every script error."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    return seen


def visit(page, live_server, name: str, *args) -> None:
    page.goto(live_server.url + reverse(name, args=args))
    page.wait_for_load_state("networkidle")


def test_the_main_pages_report_no_csp_violation(
    page, live_server, owner, company, invoice, violations
):
    EmailText.objects.create(
        company=company, kind="invoice", language="en", name="Short", subject="Hi", body="Hello."
    )
    signed_in(page, live_server, owner)

    visit(page, live_server, "documents")
    page.get_by_role("heading", name="Documents").wait_for()

    visit(page, live_server, "document", invoice.pk)
    page.locator("#send-open").click()
    page.locator("#send-dialog").wait_for()
    page.wait_for_load_state("networkidle")

    visit(page, live_server, "email_settings")
    visit(page, live_server, "client_new")

    visit(page, live_server, "documents")
    page.get_by_label(f"Select {invoice.number}").check()
    page.get_by_role("button", name="Send selected").click()
    page.get_by_role("heading", name="Send documents").wait_for()
    page.wait_for_load_state("networkidle")

    text = email_text_for(company, "invoice", "en")
    visit(page, live_server, "email_text", text.pk)
    preview = page.frame_locator("iframe.preview-html")
    assert preview.locator("p").first.inner_text()
    # The preview's own <style> (allowed by the page's nonce) styles the body.
    margin = preview.locator("body").evaluate("b => getComputedStyle(b).marginTop")
    assert margin != "8px"  # the browser's default margin would mean the style was blocked

    visit(page, live_server, "api_docs")
    page.locator(".swagger-ui .info").wait_for()

    assert violations == []


def test_a_page_refuses_an_injected_inline_script(page, live_server, owner, violations):
    """The policy is really enforced: the same page with an inline script added reports it."""
    signed_in(page, live_server, owner)
    visit(page, live_server, "documents")
    page.evaluate(
        """() => { const s = document.createElement("script");
        s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    assert page.evaluate("window.injected") is None
    assert any("script-src" in message for message in violations)


def test_choosing_another_company_switches_to_it(
    page, live_server, owner, other_company, violations
):
    Membership.objects.create(user=owner, company=other_company, role=Membership.Role.OWNER)
    signed_in(page, live_server, owner)
    visit(page, live_server, "documents")

    page.locator("#company-switch").select_option(label=other_company.name)

    expect(page.locator("#company-switch")).to_have_value(str(other_company.pk))
    assert page.locator("#company-switch option:checked").inner_text() == other_company.name
    assert violations == []


def test_choosing_a_language_shows_the_page_in_it(page, live_server, owner, violations):
    signed_in(page, live_server, owner)
    visit(page, live_server, "documents")

    page.locator("#language").select_option("nl")

    page.wait_for_selector("html[lang='nl']")
    assert page.get_by_role("link", name="Klanten").is_visible()
    assert violations == []


def test_reset_and_delete_ask_first_and_do_nothing_when_cancelled(
    page, live_server, owner, company, violations
):
    shipped = email_text_for(company, "reminder", "en")
    email_text_update(shipped, name=shipped.name, subject="Changed", body="Changed body.")
    extra = EmailText.objects.create(
        company=company, kind="reminder", language="en", name="Firm", subject="Pay", body="Now."
    )
    signed_in(page, live_server, owner)
    questions: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            questions.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    visit(page, live_server, "email_text", shipped.pk)
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Reset to the shipped text").click()
    assert EmailText.objects.get(pk=shipped.pk).subject == "Changed"
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Reset to the shipped text").click()
    page.wait_for_load_state("networkidle")
    assert EmailText.objects.get(pk=shipped.pk).subject == SHIPPED["reminder.en"].subject

    visit(page, live_server, "email_text", extra.pk)
    page.once("dialog", answer(False))
    page.get_by_role("button", name="Delete").click()
    assert EmailText.objects.filter(pk=extra.pk).exists()
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Delete").click()
    page.wait_for_load_state("networkidle")
    assert not EmailText.objects.filter(pk=extra.pk).exists()

    assert questions == [
        "Replace the subject and body with the text Porto ships?",
        "Replace the subject and body with the text Porto ships?",
        "Delete this text?",
        "Delete this text?",
    ]
    assert violations == []


def test_send_now_disables_itself_and_posts_once(page, live_server, owner, invoice, violations):
    signed_in(page, live_server, owner)
    visit(page, live_server, "documents")
    page.get_by_label(f"Select {invoice.number}").check()
    page.get_by_role("button", name="Send selected").click()
    page.get_by_role("heading", name="Send documents").wait_for()
    posts: list[str] = []

    def hold(route):
        posts.append(route.request.method)
        route.fulfill(status=204)  # "no content": the browser stays on the summary

    page.route("**" + reverse("bulk_start"), hold)
    send_now = page.get_by_role("button", name="Send now")
    send_now.click()

    expect(page.locator("[data-submit-once]")).to_be_disabled()
    send_now.click(force=True)
    page.wait_for_load_state("networkidle")
    assert posts == ["POST"]
    assert violations == []


def test_email_settings_show_the_smtp_fields_only_for_own_mailbox(
    page, live_server, owner, violations
):
    signed_in(page, live_server, owner)
    visit(page, live_server, "email_settings")
    smtp = page.locator("#smtp-fields")
    assert smtp.is_hidden()

    page.get_by_label("Own mailbox (SMTP)").check()
    assert smtp.is_visible()
    assert violations == []


def test_a_sandbox_email_shows_in_its_frame_without_a_csp_violation(
    page, live_server, owner, company, violations
):
    """The page allows its own frames; the frame keeps the email's own policy, under which
    the email's inline styles apply."""
    html = "<p id='greeting' style='color: rgb(0, 128, 0)'>Beste klant</p>"
    raw = build_email(company_id=company.pk, html=html)
    message = sandbox_message_receive(envelope_from="", recipients=["k@klant.example"], raw=raw)
    signed_in(page, live_server, owner)

    visit(page, live_server, "sandbox:message", message.pk)

    greeting = page.frame_locator("iframe.sandbox-html").locator("#greeting")
    assert greeting.inner_text() == "Beste klant"
    assert greeting.evaluate("p => getComputedStyle(p).color") == "rgb(0, 128, 0)"
    assert violations == []
