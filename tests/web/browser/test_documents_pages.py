import pytest

from porto.documents.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo
from porto.documents.models import Document
from tests.browser_support import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_login_shows_documents_and_opens_one(live_server, page, screenshot):
    seed_demo()
    newest = Document.objects.exclude(number="").order_by("-issue_date", "-pk").first()

    log_in(page, live_server, DEMO_USERNAME, DEMO_PASSWORD)

    page.get_by_role("heading", name="Documents").wait_for()
    assert page.get_by_role("link", name=newest.number).is_visible()
    screenshot(page, "documents-overview")
    page.get_by_role("link", name=newest.number).click()
    page.get_by_role("heading", name=newest.number).wait_for()
    # Amounts are shown with the language's separators (English: 6,074.67).
    assert page.get_by_text(f"{newest.total_incl_vat:,.2f}").first.is_visible()


def test_wrong_password_says_so(live_server, page):
    seed_demo()
    log_in(page, live_server, DEMO_USERNAME, "not-the-password")
    assert page.get_by_role("alert").inner_text().startswith("That username and password")
