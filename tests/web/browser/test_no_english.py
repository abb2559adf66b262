"""No English on any page for a user who reads Dutch (then French).

The user's browser asks for nl-BE (fr-BE) and the language cookie says nl (fr). The test walks
every page of the app — the overview and each filter, a document whose timeline holds
delivered, read, failed, unknown and in-transit emails with the send pop-up open and its error
messages shown, the bulk summary and job, clients, a client, email settings, email texts and
one text, the sandbox inbox and a message in it, the login page and the 404 page; then the
pages of the company and its clients (company profile, number series, client search, the client
form with its refusals, client edit, delete and archive confirmations) and of the document editor
(a new invoice with a line and a discount, its totals after typing, its refusals, the finalize
confirmation with and without problems, a draft's page, the credit note editor) and the
overview's "select all that match" bar — collects
every text node and every attribute a person sees or hears (title, aria-label, placeholder,
alt, value of buttons, tooltips, messages the scripts show later) and fails with the list of
English it found, page by page. Text marked with another ``lang`` (a client's email in the
client's language) is not the page's language and is skipped. See tests/web/browser/english.py for
what counts as English."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from porto.api.services import token_create
from porto.clients.models import Client
from porto.documents.models import Document, DocumentKind, DocumentLine
from porto.emailsettings.selectors import email_settings_for
from porto.hooks.events import EVENT_TYPES
from porto.hooks.services import endpoint_create, message_deliver, ping_send
from porto.mail.events import record_event
from porto.mail.models import OutgoingEmail
from porto.mail.status import Event, EventType
from porto.sandbox.models import SandboxMessage
from porto.web import views
from tests.factories import (
    make_client,
    make_company,
    make_document,
    make_email,
    make_finalized,
    make_user,
)
from tests.hooks.conftest import receiver
from tests.mail.conftest import prestore_pdf
from tests.web.browser.english import EnglishDetector, project_catalog
from tests.web.worker import run_worker

__all__ = ["receiver"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "s3cret-pass!"

# Every text node and every attribute a person sees or hears, with where it was found. Text
# under an element whose lang differs from the page's is another language on purpose.
COLLECT = """() => {
  const pageLang = document.documentElement.lang;
  const out = [];
  const foreign = el => { const l = el.closest('[lang]'); return l && l.lang !== pageLang; };
  const skip = el => el.closest('script, style, template, code, noscript') || foreign(el);
  const where = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    if (text && !skip(n.parentElement)) out.push([where(n.parentElement), text]);
  }
  const spoken = ['title', 'aria-label', 'aria-description', 'placeholder', 'alt'];
  document.querySelectorAll('*').forEach(el => {
    if (skip(el)) return;
    for (const attr of el.attributes) {
      const said = spoken.includes(attr.name) ||
        /^data-(msg|label|announce|remove|confirm)/.test(attr.name) || /-label$/.test(attr.name) ||
        (attr.name === 'value' && el.matches('input[type=submit], input[type=button]'));
      if (said && attr.value.trim()) out.push([where(el) + '@' + attr.name, attr.value.trim()]);
    }
  });
  out.push(['title', document.title]);
  return out;
}"""


def data_strings() -> list[str]:
    """The test's own data, shown as the user typed it: never a translation question."""
    strings: list[str] = []
    for client in Client.objects.all():
        strings += [client.name, client.street, client.city, client.contact_name]
    strings += DocumentLine.objects.values_list("name", flat=True)
    strings += DocumentLine.objects.values_list("description", flat=True)
    strings += Document.objects.values_list("title", flat=True)
    strings += OutgoingEmail.objects.values_list("subject", flat=True)
    strings += SandboxMessage.objects.values_list("subject", flat=True)
    return [s for s in strings if s]


class Walk:
    def __init__(self, page, base_url: str, detector_for):
        self.page, self.base_url, self.detector_for = page, base_url, detector_for
        self.found: dict[tuple[str, str], list[str]] = {}
        self.visited: list[str] = []

    def check(self, name: str) -> None:
        self.visited.append(name)
        assert self.page.evaluate("document.documentElement.lang") in ("nl", "fr"), name
        detector = self.detector_for()
        for where, text in self.page.evaluate(COLLECT):
            why = detector.english_in(text)
            if why:
                self.found.setdefault((text[:200], why), []).append(f"{name} ({where})")

    def report(self) -> str:
        return "\n".join(
            f"{text!r} [{why}] on {len(pages)} page(s): {', '.join(pages[:3])}"
            for (text, why), pages in sorted(self.found.items())
        )

    def visit(self, name: str, path: str, status: int = 200) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == status, (name, path)
        self.check(name)


@pytest.fixture(scope="module")
def catalog():
    return project_catalog()


@pytest.fixture
def world(settings):
    """A Belgian company with Dutch and French clients, every kind of document, and a
    timeline with an email in every status."""
    settings.PORTO_SANDBOX_ENABLED = True
    company = make_company("Studio Lindeboom BV")
    settings_row = email_settings_for(company)
    settings_row.track_opens = True
    settings_row.save()
    user = make_user(company, username="lotte")
    kroon = make_client(
        company,
        language="nl",
        name="Brasserie De Kroon BV",
        emails=("boekhouding@dekroon.example",),
    )
    elysee = make_client(
        company, language="fr", name="Café Élysée SPRL", emails=("compta@cafe-elysee.example",)
    )
    gone = make_client(
        company, language="nl", name="Verdwenen NV", emails=("niemand@verdwenen.invalid",)
    )
    invoice = make_finalized(company, kroon, lines=[("3", "85", "S", "21"), ("1", "40", "S", "6")])
    documents = [
        invoice,
        make_finalized(company, elysee, kind=DocumentKind.QUOTE),
        make_finalized(company, gone),
        make_finalized(company, kroon, kind=DocumentKind.OTHER, title="Leveringsbon"),
    ]
    make_finalized(company, elysee, kind=DocumentKind.CREDIT_NOTE, corrects=invoice)
    make_document(company, kroon)
    for document in documents:
        prestore_pdf(document)
    timeline_of_every_status(invoice)
    return {"user": user, "company": company, "invoice": invoice, "client": kroon}


def timeline_of_every_status(invoice) -> None:
    now = timezone.now()
    ago = datetime.timedelta

    def email(to, when, **fields):
        return make_email(
            invoice,
            handed_off_at=now - when,
            to=(to,),
            language="nl",
            subject=f"Factuur {invoice.number} van Studio Lindeboom BV",
            **fields,
        )

    def event(sent, to, type_, when, **fields):
        record_event(
            source="sandbox",
            event=Event(type_, now - when, **fields),
            message_id=sent.message_id,
            recipient=to,
        )

    email("transit@dekroon.example", ago(minutes=10))
    delivered = email("delivered@dekroon.example", ago(hours=5))
    event(delivered, "delivered@dekroon.example", EventType.DELIVERED, ago(hours=5))
    read = email("read@dekroon.example", ago(hours=4), track_opens=True)
    event(read, "read@dekroon.example", EventType.DELIVERED, ago(hours=4))
    event(read, "read@dekroon.example", EventType.OPENED, ago(hours=3))
    failed = email("weg@dekroon.invalid", ago(hours=2))
    event(
        failed,
        "weg@dekroon.invalid",
        EventType.BOUNCED,
        ago(hours=2),
        reason="The recipient's server says the mailbox does not exist (550 5.1.1 User unknown)",
        code="550 5.1.1",
    )
    email("stil@dekroon.example", ago(days=5), transport="smtp")


def new_page(browser, live_server, language: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=f"{language}-BE")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def send_popup_errors(walk: Walk, invoice) -> None:
    page = walk.page
    page.goto(walk.base_url + reverse("document", args=[invoice.pk]) + "?send=1")
    dialog = page.locator("#send-dialog")
    dialog.wait_for()
    walk.check("document with the send pop-up open")
    for remove in dialog.locator("#to-chips li button").all():
        remove.click()
    dialog.locator("#id_subject").fill("")
    dialog.locator("button[type=submit]").last.click()
    expect(page.locator("[data-errors-for=to]")).not_to_have_text(re.compile(r"^\s*$"))
    walk.check("send pop-up with its error messages")
    dialog.locator("#new-address").fill("geen-adres")
    dialog.locator("#new-address-add").click()
    walk.check("send pop-up with an invalid address")


def bulk_pages(walk: Walk) -> None:
    page = walk.page
    page.goto(walk.base_url + reverse("documents"))
    page.locator("thead input[type=checkbox]").check()
    page.locator("#bulk-send").click()
    page.locator("#bulk-summary-count").wait_for()
    walk.check("bulk summary")
    page.locator("form[action$='/bulk/send/'] button[type=submit]").click()
    page.locator(".messages a").wait_for()
    walk.check("overview with the banner of a bulk send")
    page.locator(".messages a").click()  # the banner's link to the progress
    page.locator("#bulk-progress").wait_for()
    run_worker()
    page.locator("#bulk-done").wait_for()
    walk.check("bulk job, done")


def company_and_client_pages(walk: Walk, world) -> None:
    page, client = walk.page, world["client"]
    walk.visit("company profile", reverse("company_profile"))
    walk.visit("number series", reverse("number_series"))
    walk.visit("clients, a search", f"{reverse('clients')}?q=kroon")
    walk.visit("clients, a search without match", f"{reverse('clients')}?q=zzzz-niemand")
    walk.visit("new client", reverse("client_new"))
    page.locator("#id_vat_number").fill("BE 123")
    page.locator("form.client-form button[type=submit].primary").click()
    page.locator("p.error").first.wait_for()
    walk.check("new client, refused")
    walk.visit("client edit", reverse("client_edit", args=[client.pk]))
    walk.visit(
        "client delete, refused for its documents", reverse("client_delete", args=[client.pk])
    )
    unused = make_client(world["company"], language="nl", name="Nooit Gebruikt BV")
    walk.visit("client delete, confirmation", reverse("client_delete", args=[unused.pk]))


def editor_pages(walk: Walk, world) -> None:
    page, client = walk.page, world["client"]
    walk.visit("new invoice", f"{reverse('document_new')}?kind=invoice&client={client.pk}")
    page.fill('[name="lines-0-name"]', "Advies")
    page.fill('[name="lines-0-quantity"]', "2")
    page.fill('[name="lines-0-unit_price"]', "100")
    page.fill('[name="allowances-0-percentage"]', "5")
    page.select_option('[name="allowances-0-reason_code"]', "95")
    expect(page.locator("#editor-totals [data-total=excl]")).to_have_text(re.compile(r"190[.,]00"))
    walk.check("new invoice, its totals after typing")
    page.fill('[name="lines-0-quantity"]', "twee")
    page.locator("form#document-editor button.primary").click()
    page.locator("#problems").wait_for()
    walk.check("new invoice, refused")
    draft = Document.objects.filter(status=Document.Status.DRAFT, client=client).first()
    assert draft is not None
    walk.visit("a draft", reverse("document", args=[draft.pk]))
    walk.visit("finalize confirmation", reverse("document_finalize", args=[draft.pk]))
    empty = make_document(world["company"], None, lines=[("0", "10", "K", "0")])
    walk.visit("finalize confirmation with problems", reverse("document_finalize", args=[empty.pk]))
    page.goto(walk.base_url + reverse("document", args=[world["invoice"].pk]))
    page.locator(
        f"form[action='{reverse('document_credit', args=[world['invoice'].pk])}'] button"
    ).click()
    page.locator("form#document-editor").wait_for()
    walk.check("credit note editor")


def select_matching_bar(walk: Walk, monkeypatch) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)  # more documents than one page holds
    page = walk.page
    page.goto(walk.base_url + reverse("documents"))
    page.locator("thead input[type=checkbox]").check()
    page.locator("#select-matching-all").wait_for()
    walk.check("overview, the page selected")
    page.locator("#select-matching-all").click()
    page.locator("#select-matching-clear").wait_for()
    walk.check("overview, all that match selected")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_no_english_on_any_page(
    browser, live_server, sandbox, world, catalog, language, monkeypatch
):
    context, page = new_page(browser, live_server, language)
    walk = Walk(page, live_server.url, lambda: EnglishDetector(catalog, language, data_strings()))
    try:
        walk.visit("login", reverse("login"))
        log_in_as(page, live_server, world["user"].username)
        walk.check("overview")
        for status in ("draft", "finalized", "sent", "in_transit", "delivered", "read"):
            walk.visit(f"overview, status {status}", f"{reverse('documents')}?status={status}")
        for status in ("failed", "unknown"):
            walk.visit(f"overview, status {status}", f"{reverse('documents')}?status={status}")
        for kind in DocumentKind.values:
            walk.visit(f"overview, kind {kind}", f"{reverse('documents')}?kind={kind}")
        walk.visit("overview, client", f"{reverse('documents')}?client={world['client'].pk}")
        walk.visit("overview, nothing found", f"{reverse('documents')}?q=zzzz-niets")
        walk.visit("document with its timeline", reverse("document", args=[world["invoice"].pk]))
        tips = page.locator(".mail-tip__body")
        assert tips.count() >= 4, "the timeline holds every status"
        send_popup_errors(walk, world["invoice"])
        bulk_pages(walk)
        walk.visit("clients", reverse("clients"))
        walk.visit("client", reverse("client", args=[world["client"].pk]))
        walk.visit("email settings", reverse("email_settings"))
        walk.visit("email texts", reverse("email_texts"))
        page.locator("table.email-texts a").first.click()
        page.wait_for_load_state()
        walk.check("an email text")
        walk.visit("sandbox inbox", reverse("sandbox:inbox"))
        message = SandboxMessage.objects.order_by("pk").first()
        assert message is not None, "the bulk send left messages in the sandbox"
        walk.visit("sandbox message", reverse("sandbox:message", args=[message.pk]))
        company_and_client_pages(walk, world)
        editor_pages(walk, world)
        select_matching_bar(walk, monkeypatch)
        walk.visit("404", "/documents/999999/", status=404)
    finally:
        context.close()
    assert len(walk.visited) > 45
    assert not walk.found, f"English on the {language} pages:\n{walk.report()}"


def log_in_as(page, live_server, username: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}{reverse('documents')}*")


@pytest.fixture
def owner_world(settings, receiver):
    """An owner with an API token, and a webhook endpoint whose log holds an attempt refused
    by the endpoint, one that could not connect and one delivered."""
    settings.PORTO_SANDBOX_ENABLED = True
    company = make_company("Studio Lindeboom BV")
    user = make_user(company, username="lotte")
    token_create(company, user, "Boekhouding")
    receiver.answers = [500, 204]
    endpoint = endpoint_create(
        company, url=receiver.url, description="Boekhouding", event_types=list(EVENT_TYPES)
    )
    message_deliver(ping_send(endpoint))
    message_deliver(ping_send(endpoint))
    unreachable = endpoint_create(
        company, url="http://127.0.0.1:9/", description="Oud", event_types=["email.failed"]
    )
    message_deliver(ping_send(unreachable))
    return {"user": user, "endpoint": endpoint, "unreachable": unreachable}


def api_token_pages(walk: Walk) -> None:
    page = walk.page
    walk.visit("API tokens", reverse("api_tokens"))
    page.locator("#id_name").fill("Webwinkel")
    page.locator("form.settings-form button.primary").click()
    page.locator("#api-token-secret").wait_for()
    walk.check("API tokens, a token created and shown once")
    page.locator("table.api-tokens a").first.click()
    page.locator("form.actions button.danger").wait_for()
    walk.check("API token, the revoke confirmation")
    page.locator("form.actions button.danger").click()
    page.locator("table.api-tokens tr.revoked").first.wait_for()
    walk.check("API tokens, a token revoked")


def webhook_pages(walk: Walk, world, settings) -> None:
    endpoint, unreachable = world["endpoint"], world["unreachable"]
    page = walk.page
    walk.visit("webhooks", reverse("webhooks"))
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = False
    page.locator("#id_url").fill("https://127.0.0.1/porto")
    page.locator("input[name=event_types]").first.check()
    page.locator(f"form[action='{reverse('webhooks')}'] button.primary").click()
    page.locator("p.error").first.wait_for()
    walk.check("webhooks, an address refused (SSRF)")
    walk.visit("webhook endpoint with its attempt log", reverse("webhook", args=[endpoint.pk]))
    page.locator(f"form[action='{reverse('webhook_secret', args=[endpoint.pk])}'] button").click()
    page.locator("#webhook-secret").wait_for()
    walk.check("webhook endpoint, its secret shown")
    walk.visit(
        "webhook endpoint that could not be reached", reverse("webhook", args=[unreachable.pk])
    )


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_no_english_on_the_api_token_and_webhook_pages(
    browser, live_server, owner_world, catalog, language, settings
):
    context, page = new_page(browser, live_server, language)
    walk = Walk(page, live_server.url, lambda: EnglishDetector(catalog, language, data_strings()))
    try:
        page.goto(live_server.url + reverse("login"))
        log_in_as(page, live_server, owner_world["user"].username)
        api_token_pages(walk)
        webhook_pages(walk, owner_world, settings)
    finally:
        context.close()
    assert len(walk.visited) == 9
    assert not walk.found, f"English on the {language} pages:\n{walk.report()}"
