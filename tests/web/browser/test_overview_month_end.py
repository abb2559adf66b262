"""Month-end in the browser: filter the overview, select the page, then every document that
matches the filter; the bulk summary counts them all; sending them returns to the overview
with a banner whose link opens the send's progress."""

import datetime

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from porto.documents.models import Document, DocumentKind
from porto.mail.models import BulkJob
from tests.factories import make_client

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in(page, live_server, user) -> None:
    http = HttpClient()
    http.force_login(user)
    session = {"name": "sessionid", "value": http.cookies["sessionid"].value}
    page.context.add_cookies([session | {"url": live_server.url}])


def invoices(company, client, count: int, first_number: int) -> list[Document]:
    return Document.objects.bulk_create(
        Document(
            company=company,
            client=client,
            kind=DocumentKind.INVOICE,
            status=Document.Status.FINALIZED,
            number=f"2026-{n:05d}",
            sequence=n,
            issue_date=datetime.date(2026, 11, 30),
            client_snapshot={"name": client.name},
        )
        for n in range(first_number, first_number + count)
    )


def test_send_every_invoice_matching_a_search_from_the_overview(
    live_server, page, owner, company, other_company, screenshot
):
    societe = make_client(company, name="Société Générale SA", emails=("compta@sg.example",))
    peeters = make_client(company, name="Bakkerij Peeters", emails=("boek@peeters.example",))
    matching = invoices(company, societe, 57, first_number=1)
    invoices(company, peeters, 4, first_number=58)
    theirs = make_client(other_company, name="Société Générale SA", emails=("x@sg.example",))
    invoices(other_company, theirs, 3, first_number=1)
    signed_in(page, live_server, owner)

    page.goto(live_server.url + reverse("documents"))
    page.get_by_label("Search").fill("societe")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("columnheader", name="Total").get_by_role("link").click()
    page.wait_for_url("**sort=amount**")
    assert "q=societe" in page.url

    select_matching = page.get_by_role("button", name="Select all 57 documents that match")
    assert not select_matching.is_visible()  # offered once the whole page is selected
    page.get_by_label("Select all on this page").check()
    page.get_by_text("All 50 documents on this page are selected.").wait_for()
    select_matching.click()
    page.get_by_text("All 57 documents that match this filter are selected.").wait_for()
    assert page.locator("#selected-count").inner_text() == "57 ✓"
    screenshot(page, "overview-select-all-matching")

    page.get_by_role("button", name="Send selected").click()
    page.get_by_role("heading", name="Send documents").wait_for()
    assert "You chose all 57 documents that match the filter." in page.content()
    summary = page.locator("#bulk-summary-count").inner_text()
    assert summary == "57 documents will be sent, each in its own email."
    screenshot(page, "overview-bulk-summary")

    page.get_by_role("button", name="Send now").click()
    banner = page.locator(".messages .success")
    banner.wait_for()
    assert banner.inner_text() == "Sending 57 documents — see progress"
    assert "q=societe" in page.url and "sort=amount" in page.url
    job = BulkJob.objects.get()
    sent = set(job.emails.values_list("document_id", flat=True))
    assert sent == {d.pk for d in matching}
    screenshot(page, "overview-bulk-banner")

    banner.get_by_role("link", name="see progress").click()
    page.get_by_role("heading", name="Sending documents").wait_for()
    assert page.url.endswith(reverse("bulk_job", args=[job.pk]))

    page.goto(live_server.url + reverse("documents"))  # the banner was shown once
    assert page.locator(".messages .success").count() == 0
