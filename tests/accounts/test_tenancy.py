"""Tenant isolation: a member of another company gets 404 for every page of this company's
objects, sees none of them in lists, and cannot switch to this company. The URL walk makes a
future page that forgets the access helpers fail here."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from porto.accounts.models import Membership
from porto.api.services import token_create
from porto.emailtexts.services import email_text_for
from porto.hooks.services import endpoint_create
from porto.mail.models import BulkJob
from porto.sandbox.services import sandbox_message_receive
from tests.factories import make_client, make_document, make_email, make_finalized, make_user
from tests.sandbox.helpers import build_email

pytestmark = pytest.mark.django_db

FIRST = 0  # a parameter that is a position, not an object
# URL name -> which of the company's objects fills its parameters. A new page with a
# parameter must be added here, or test_every_object_page_is_listed fails.
OBJECT_OF_ROUTE = {
    "document": {"pk": "document"},
    "client": {"pk": "client"},
    "client_edit": {"pk": "client"},
    "client_archive": {"pk": "client"},
    "client_unarchive": {"pk": "client"},
    "client_delete": {"pk": "client"},
    "email_text": {"pk": "email_text"},
    "email_text_default": {"pk": "email_text"},
    "email_text_reset": {"pk": "email_text"},
    "email_text_delete": {"pk": "email_text"},
    "message": {"pk": "sandbox_message"},
    "message_html": {"pk": "sandbox_message"},
    "message_raw": {"pk": "sandbox_message"},
    "attachment": {"pk": "sandbox_message", "index": FIRST},
    "document_send": {"pk": "document"},
    "document_email_text": {"pk": "document", "text_id": "email_text"},
    "document_format_check": {"pk": "document"},
    "document_download": {"pk": "document", "fmt": "pdf"},
    "bulk_job": {"pk": "bulk_job"},
    "bulk_job_progress": {"pk": "bulk_job"},
    "bulk_job_retry_now": {"pk": "bulk_job"},
    "email_refresh": {"pk": "email"},
    "email_retry_now": {"pk": "email"},
    "email_proof": {"pk": "email"},
    "document_timeline": {"pk": "document"},
    "document_edit": {"pk": "document"},
    "document_preview": {"pk": "document"},
    "document_finalize": {"pk": "document"},
    "document_duplicate": {"pk": "document"},
    "document_credit": {"pk": "document"},
    "document_delete": {"pk": "document"},
    # The REST API (porto/api) and its Settings page.
    "api_client": {"pk": "client"},
    "api_client_archive": {"pk": "client"},
    "api_client_unarchive": {"pk": "client"},
    "api_token_revoke": {"pk": "api_token"},
    "api_document": {"pk": "document"},
    "api_document_credit": {"pk": "document"},
    "api_document_duplicate": {"pk": "document"},
    "api_document_emails": {"pk": "document"},
    "api_document_finalize": {"pk": "document"},
    "api_document_pdf": {"pk": "document"},
    "api_document_ubl": {"pk": "document"},
    "api_document_send": {"pk": "document"},
    "api_bulk_send": {"pk": "bulk_job"},
    "api_email": {"pk": "email"},
    "api_email_update_status": {"pk": "email"},
    "api_webhook_endpoint": {"pk": "webhook_endpoint"},
    "api_webhook_endpoint_attempts": {"pk": "webhook_endpoint"},
    "api_webhook_endpoint_rotate_secret": {"pk": "webhook_endpoint"},
    "api_webhook_endpoint_test": {"pk": "webhook_endpoint"},
    "webhook": {"pk": "webhook_endpoint"},
    "webhook_delete": {"pk": "webhook_endpoint"},
    "webhook_enable": {"pk": "webhook_endpoint"},
    "webhook_rotate": {"pk": "webhook_endpoint"},
    "webhook_secret": {"pk": "webhook_endpoint"},
    "webhook_test": {"pk": "webhook_endpoint"},
}
# Pages without object ids: they show the current company's data only.
PAGES_WITHOUT_OBJECT = {
    "home",
    "documents",
    "clients",
    "client_new",
    "company_switch",
    "email_settings",
    "email_settings_options",
    "email_settings_method",
    "email_settings_test",
    "email_texts",
    "email_text_new",
    "inbox",
    "bulk_summary",
    "bulk_start",
    "outbox_retry_now",
    "company_profile",
    "company_logo",
    "number_series",
    "document_new",
    "document_new_preview",
    "document_totals",
    "api_clients",
    "api_tokens",
    "api_documents",
    "api_emails",
    "api_bulk_sends",
    "api_webhook_endpoints",
    "api_webhook_event_types",
    "webhooks",
}
# Routes whose parameters are not company objects (say why), e.g. a signed public token.
ROUTES_WITHOUT_COMPANY_OBJECTS: dict[str, str] = {
    "provider_webhook": "a provider name, not an object; the caller proves itself (basic auth "
    "and the provider's signature) and is never a company member",
    "pixel": "a signed token with the recipient's random key; answers the same GIF to everyone "
    "and shows no company data",
}
# Pages only an owner of the company may open, and what a member gets there (the views say
# why: a 404 where the page's existence is the owner's business, 403 where the member sees
# the page but not this form). tests/accounts/test_tenancy_matrix.py checks each.
OWNER_ONLY_ROUTES: dict[str, int] = {
    "email_settings_method": 403,
    "email_settings_test": 403,
    "company_profile": 404,
    "company_logo": 404,
    "number_series": 404,
    "api_tokens": 404,
    "api_token_revoke": 404,
    "webhooks": 404,
    "webhook": 404,
    "webhook_delete": 404,
    "webhook_enable": 404,
    "webhook_rotate": 404,
    "webhook_secret": 404,
    "webhook_test": 404,
    "api_webhook_endpoints": 404,
    "api_webhook_endpoint": 404,
    "api_webhook_endpoint_attempts": 404,
    "api_webhook_endpoint_rotate_secret": 404,
    "api_webhook_endpoint_test": 404,
    "api_webhook_event_types": 404,
}
# Routes for everyone, logged in or not, that show no company's data.
PUBLIC_ROUTES: dict[str, str] = {
    "login": "the login form",
    "logout": "ends the session",
    "set_language": "stores the chosen language",
    "api_schema": "the API's description, for integrators before they have a token",
    "api_docs": "the API's documentation page, over the schema",
    "healthz": "the health probe for load balancers: checks, no data",
    "readyz": "the readiness probe for orchestrators: checks, no data",
}
HEALTH_PROBES = {"healthz", "readyz"}
SKIPPED_NAMESPACES = {"admin"}  # the admin is tested below, with its own rules


def app_patterns(resolver=None, prefix=""):
    """(route, URL name, parameter names) for every URL outside the skipped namespaces."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES or entry.app_name in SKIPPED_NAMESPACES:
                continue
            yield from app_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name, set(entry.pattern.converters)


def object_urls(objects: dict) -> list[str]:
    urls = []
    for route, name, params in app_patterns():
        if not params or name in ROUTES_WITHOUT_COMPANY_OBJECTS:
            continue
        path = route
        for param in params:
            source = OBJECT_OF_ROUTE[name][param]
            if isinstance(source, int | str) and source not in objects:
                value = str(source)  # a fixed value, e.g. a format
            else:
                value = str(objects[source].pk)
            path = re.sub(rf"<(\w+:)?{param}>", value, path)
        urls.append("/" + path)
    # Pages that delete their object come last, so the owner's walk still finds it before.
    return sorted(urls, key=lambda url: "delete" in url)


@pytest.fixture
def theirs(company, settings):
    """Objects of ``company``, which the outsider must never reach."""
    return objects_of(company, settings)


def objects_of(company, settings) -> dict:
    """One object of ``company`` for every kind of object page (OBJECT_OF_ROUTE's sources)."""
    settings.PORTO_WEBHOOKS_ALLOW_PRIVATE = True  # the endpoint below is on this machine
    client = make_client(company, name="Secret Client NV")
    document = make_finalized(company, client)
    return {
        "client": client,
        "document": document,
        "email": make_email(document, subject="Secret Client invoice", to=("a@secret.example",)),
        "draft": make_document(company, client),
        "email_text": email_text_for(company, "invoice", "nl"),
        "bulk_job": BulkJob.objects.create(company=company, requested=1),
        "api_token": token_create(company, None, "Secret Client webshop").token,
        "webhook_endpoint": endpoint_create(
            company,
            url="http://127.0.0.1:9/secret-client",
            description="Secret Client webshop",
            event_types=["email.delivered"],
        ),
        "sandbox_message": sandbox_message_receive(
            envelope_from="acme@send.example",
            recipients=["boekhouding@klant.example"],
            raw=build_email(company_id=company.pk, subject="Secret Client invoice"),
        ),
    }


def test_every_object_page_is_listed():
    for route, name, params in app_patterns():
        if name in ROUTES_WITHOUT_COMPANY_OBJECTS:
            continue
        if params:
            assert name in OBJECT_OF_ROUTE, f"{route}: say which object fills {params}"
            assert params <= set(OBJECT_OF_ROUTE[name]), route
        elif name is not None and name not in PUBLIC_ROUTES:
            assert name in PAGES_WITHOUT_OBJECT, f"{route}: add it to PAGES_WITHOUT_OBJECT"


def test_owner_reaches_every_object_page(owner, theirs):
    browser = HttpClient()
    browser.force_login(owner)
    urls = object_urls(theirs)
    assert len(urls) >= 2
    for url in urls:
        response = browser.get(url)
        if response.status_code == 405:
            response = browser.post(url)
            # A form posted without its fields is refused with 400, naming them; an action the
            # object's state refuses (finalizing a finalized document) with 409 or 422, saying
            # why. Either way the owner reached the object.
            if response.status_code in (400, 409, 422):
                assert b"errors" in response.content or b"error" in response.content, url
                continue
        assert response.status_code in (200, 201, 202, 204, 302), url


def test_outsider_gets_404_on_every_object_page(outsider_client, theirs):
    urls = object_urls(theirs) + object_urls(theirs | {"document": theirs["draft"]})
    for url in urls:
        response = outsider_client.get(url)
        if response.status_code == 405:
            response = outsider_client.post(url)
        assert response.status_code == 404, url
        assert b"Secret Client" not in response.content


def test_outsider_lists_show_only_their_own_company(outsider_client, outsider, theirs):
    own_client = make_client(outsider.memberships.get().company, name="Own Client BV")
    documents = outsider_client.get("/documents/")
    clients = outsider_client.get("/clients/")
    assert documents.status_code == clients.status_code == 200
    assert b"Own Client BV" in clients.content
    assert b"Secret Client" not in clients.content
    assert b"Secret Client" not in documents.content
    assert theirs["document"].number.encode() not in documents.content
    search = outsider_client.get("/documents/", {"q": theirs["document"].number})
    assert b"No documents match these filters." in search.content
    assert own_client.pk != theirs["client"].pk


def test_switching_to_a_foreign_company_is_404(outsider_client, company):
    assert outsider_client.post("/company/switch/", {"company": company.pk}).status_code == 404
    assert outsider_client.post("/company/switch/", {"company": "x"}).status_code == 404
    # The session did not change: still the outsider's own company.
    assert b"Secret Client" not in outsider_client.get("/clients/").content


def test_a_forged_session_company_is_ignored(outsider_client, company, theirs):
    session = outsider_client.session
    session["porto_company_id"] = company.pk
    session.save()
    response = outsider_client.get("/clients/")
    assert response.status_code == 200
    assert b"Secret Client" not in response.content
    assert outsider_client.get(f"/clients/{theirs['client'].pk}/").status_code == 404


def test_member_of_two_companies_switches_between_them(company, other_company, owner, theirs):
    Membership.objects.create(user=owner, company=other_company, role="member")
    make_client(other_company, name="Other Side BV")
    browser = HttpClient()
    browser.force_login(owner)
    assert b"Secret Client" in browser.get("/clients/").content
    assert browser.post("/company/switch/", {"company": other_company.pk}).status_code == 302
    page = browser.get("/clients/").content
    assert b"Other Side BV" in page
    assert b"Secret Client" not in page
    assert browser.get(f"/clients/{theirs['client'].pk}/").status_code == 404


def test_a_user_without_company_gets_404_not_a_crash(client, db):
    client.force_login(make_user(None))
    assert client.get("/documents/").status_code == 404


@pytest.mark.parametrize("url", ["/", "/documents/", "/clients/", "/documents/1/", "/clients/1/"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_anonymous_cannot_switch_company(client, company):
    response = client.post("/company/switch/", {"company": company.pk})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- The admin for staff who are not superusers ------------------------------------------------


@pytest.fixture
def staff_client(client, other_company):
    user = make_user(other_company, username="staff")
    user.is_staff = True
    user.save()
    codenames = [
        "view_document",
        "change_document",
        "view_client",
        "change_client",
        "view_membership",
        "add_membership",
    ]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_staff_admin_lists_only_their_companies(staff_client, other_company, theirs):
    mine = make_client(other_company, name="Mine BV")
    my_draft = make_document(other_company, mine)
    clients = staff_client.get("/admin/clients/client/").content
    assert b"Mine BV" in clients
    assert b"Secret Client" not in clients
    documents = staff_client.get("/admin/documents/document/")
    assert documents.context["cl"].result_count == 1
    assert list(documents.context["cl"].result_list) == [my_draft]


def test_staff_admin_cannot_open_another_companys_objects(staff_client, theirs):
    for url in [
        f"/admin/clients/client/{theirs['client'].pk}/change/",
        f"/admin/documents/document/{theirs['draft'].pk}/change/",
    ]:
        response = staff_client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == "/admin/"  # "does not exist"
        assert b"Secret Client" not in response.content


def test_staff_admin_offers_only_their_clients_and_invoices(staff_client, other_company, theirs):
    mine = make_client(other_company, name="Mine BV")
    my_invoice = make_finalized(other_company, mine)
    draft = make_document(other_company, mine)
    form = (
        staff_client.get(f"/admin/documents/document/{draft.pk}/change/").context["adminform"].form
    )
    assert list(form.fields["client"].queryset) == [mine]
    assert set(form.fields["corrects"].queryset) == {my_invoice, draft}


def test_staff_admin_offers_only_people_of_their_companies(staff_client, outsider, owner):
    form = staff_client.get("/admin/accounts/membership/add/").context["adminform"].form
    assert set(form.fields["user"].queryset.values_list("username", flat=True)) == {
        "staff",
        "outsider",
    }
    assert owner.username == "owner"  # exists, but belongs to the other company only


def test_the_current_company_is_remembered_without_rewriting_the_session(owner_client, company):
    first = owner_client.get("/documents/")
    assert first.wsgi_request.session["porto_company_id"] == company.pk
    assert first.wsgi_request.session.modified
    second = owner_client.get("/clients/")
    assert not second.wsgi_request.session.modified
