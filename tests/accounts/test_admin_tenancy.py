"""The admin never leaks across companies. Every registered ModelAdmin is either scoped to the
staff member's companies or for superusers only: a new ModelAdmin without a rule fails
``test_every_registered_admin_has_a_company_rule``, one without a row in ``company_rows``
fails ``test_every_scoped_admin_has_a_row_of_each_company``."""

import datetime as dt
import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.forms import ModelChoiceField

from porto.accounts.admin import CompanyScopedAdmin, SuperuserOnlyAdmin
from porto.accounts.models import Company, Membership
from porto.clients.models import Client, ClientEmail
from porto.documents.models import Document, NumberSeries
from porto.emailsettings.models import EmailSettings
from porto.emailsettings.selectors import email_settings_for
from porto.emailtexts.models import EmailText
from porto.emailtexts.services import email_text_for
from porto.hooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from porto.hooks.signing import secret_new
from porto.mail.models import BulkJob, DeliveryEvent, OutgoingEmail
from porto.mail.status import EventType
from porto.sandbox.models import SandboxMessage
from porto.sandbox.services import sandbox_message_receive
from tests.factories import make_client, make_document, make_email, make_finalized, make_user
from tests.mail.status_helpers import record
from tests.sandbox.helpers import build_email

pytestmark = pytest.mark.django_db

REGISTRY = admin.site._registry
SCOPED_MODELS = [m for m, ma in REGISTRY.items() if isinstance(ma, CompanyScopedAdmin)]
SUPERUSER_ONLY_MODELS = [m for m, ma in REGISTRY.items() if isinstance(ma, SuperuserOnlyAdmin)]
# Every model staff may reach, scoped or not (yet): a leak then fails by name, not only above.
STAFF_MODELS = [model for model in REGISTRY if model not in SUPERUSER_ONLY_MODELS]
THEIR_NAME = "Secret Company BV"  # company B: never on a page shown to company A's staff
SENT_AT = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.UTC)


def label(model: type[Model]) -> str:
    return model._meta.label


def company_rows(company: Company, owner) -> dict[type[Model], Model]:
    """One real row of ``company`` for every model of a scoped admin."""
    client = make_client(company, name=f"Client of {company.name}")
    invoice = make_finalized(company, client)
    address = f"books@{company.slug}.example"
    email = make_email(invoice, to=(address,), handed_off_at=SENT_AT)
    record(email, address, EventType.DELIVERED, SENT_AT)
    return {
        Company: company,
        Membership: Membership.objects.get(user=owner, company=company),
        Client: client,
        ClientEmail: client.emails.get(),
        Document: make_document(company, client),
        NumberSeries: NumberSeries.objects.get(company=company),
        OutgoingEmail: email,
        DeliveryEvent: DeliveryEvent.objects.get(recipient__email=email),
        BulkJob: BulkJob.objects.create(company=company, created_by=owner, requested=1),
        EmailSettings: email_settings_for(company),
        EmailText: email_text_for(company, "invoice", "nl"),
        SandboxMessage: sandbox_message_receive(
            envelope_from=f"{company.slug}@send.example",
            recipients=[address],
            raw=build_email(company_id=company.pk, subject=f"Invoice of {company.name}"),
        ),
        **webhook_rows(company),
    }


def webhook_rows(company: Company) -> dict[type[Model], Model]:
    """An endpoint with one message and one attempt (the URL is never called)."""
    endpoint = WebhookEndpoint.objects.create(
        company=company,
        url=f"https://hooks.{company.slug}.example/porto",
        description=f"Webshop of {company.name}",
        event_types=["email.delivered"],
        secret=secret_new(),
    )
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        event_type="email.delivered",
        dedupe_key=f"test:{company.pk}",
        body=json.dumps({"type": "email.delivered", "company": company.name}),
    )
    attempt = WebhookAttempt.objects.create(message=message, attempted_at=SENT_AT, status_code=500)
    return {WebhookEndpoint: endpoint, WebhookMessage: message, WebhookAttempt: attempt}


@pytest.fixture
def theirs(company):
    """Company B's rows, which A's staff must never see or pick."""
    company.name = THEIR_NAME
    company.save()
    return company_rows(company, make_user(company, username="their-owner"))


@pytest.fixture
def staff(other_company):
    """A staff member of company A with every permission on every model."""
    user = make_user(other_company, username="staff")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def mine(other_company, staff, theirs):
    return company_rows(other_company, staff)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def superuser_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@porto.example", "s3cret-pass!")
    client.force_login(user)
    return client


def admin_url(model: type[Model], view: str, *args) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/" + "".join(
        f"{arg}/" for arg in [*args, view] if arg
    )


def test_every_registered_admin_has_a_company_rule():
    without_rule = [
        label(model) for model in REGISTRY if model not in SCOPED_MODELS + SUPERUSER_ONLY_MODELS
    ]
    assert without_rule == []


def test_every_scoped_admin_has_a_row_of_each_company(theirs):
    assert sorted(map(label, theirs)) == sorted(map(label, STAFF_MODELS))


def test_users_groups_task_results_and_failed_logins_are_for_superusers_only():
    assert sorted(map(label, SUPERUSER_ONLY_MODELS)) == [
        "accounts.LoginFailure",
        "auth.Group",
        "auth.User",
        "django_tasks_database.DBTaskResult",
    ]


@pytest.mark.parametrize("model", STAFF_MODELS, ids=label)
def test_staff_changelist_shows_none_of_another_companys_rows(staff_client, mine, theirs, model):
    response = staff_client.get(admin_url(model, ""))
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert mine[model].pk in shown
    assert theirs[model].pk not in shown
    assert THEIR_NAME not in response.content.decode()


@pytest.mark.parametrize("model", STAFF_MODELS, ids=label)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_staff_cannot_open_another_companys_row(staff_client, mine, theirs, model, view):
    response = staff_client.get(admin_url(model, view, theirs[model].pk), follow=True)
    # Django answers an id it cannot find with a redirect to the admin index; a page the
    # model allows nobody (deleting a number series) is refused before any lookup.
    refused = response.status_code == 403 and response.redirect_chain == []
    assert refused or response.redirect_chain == [("/admin/", 302)]
    assert THEIR_NAME not in response.content.decode()


@pytest.mark.parametrize("model", STAFF_MODELS, ids=label)
def test_staff_cannot_delete_another_companys_row(staff_client, mine, theirs, model):
    staff_client.post(admin_url(model, "delete", theirs[model].pk), {"post": "yes"})
    assert model._default_manager.filter(pk=theirs[model].pk).exists()


def test_staff_raw_id_lookup_lists_only_their_companies(staff_client, mine, theirs):
    popup = staff_client.get(admin_url(Client, ""), {"_to_field": "id", "_popup": "1"})
    assert [row.pk for row in popup.context["cl"].result_list] == [mine[Client].pk]
    assert THEIR_NAME not in popup.content.decode()


def test_staff_autocomplete_offers_only_their_companies(staff_client, mine, theirs, monkeypatch):
    # No admin uses autocomplete yet; one that does reads the target admin's scoped rows.
    monkeypatch.setattr(REGISTRY[Document], "autocomplete_fields", ["client"])
    params = {"app_label": "documents", "model_name": "document", "field_name": "client"}
    response = staff_client.get("/admin/autocomplete/", params | {"term": "Client of"})
    assert [item["id"] for item in response.json()["results"]] == [str(mine[Client].pk)]


def test_staff_delete_action_leaves_another_companys_rows(staff_client, mine, theirs):
    selected = [mine[ClientEmail].pk, theirs[ClientEmail].pk]
    staff_client.post(
        admin_url(ClientEmail, ""),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )
    assert list(ClientEmail.objects.filter(pk__in=selected)) == [theirs[ClientEmail]]


def offered_choices(response) -> list[tuple[str, set]]:
    """Every foreign-key field of the page's form and inline forms, with what it offers. An
    inline row's hidden own id is no choice: the formset looks it up among the parent's rows."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [*inline.formset.forms, inline.formset.empty_form]
    return [
        (name, set(field.queryset))
        for form in forms
        for name, field in form.fields.items()
        if isinstance(field, ModelChoiceField) and name != form._meta.model._meta.pk.name
    ]


@pytest.mark.parametrize("model", STAFF_MODELS, ids=label)
def test_staff_forms_offer_none_of_another_companys_objects(staff_client, mine, theirs, model):
    their_objects = set(theirs.values()) | {get_user_model().objects.get(username="their-owner")}
    pages = [admin_url(model, "change", mine[model].pk), admin_url(model, "add")]
    responses = [staff_client.get(url) for url in pages]
    forms = [response for response in responses if response.status_code == 200]
    assert forms, "the change page of the staff member's own row opens"
    for response in forms:
        for name, offered in offered_choices(response):
            assert not offered & their_objects, f"{name} offers another company's objects"


def test_staff_forms_offer_their_own_clients_and_people(staff_client, mine, staff):
    membership = staff_client.get(admin_url(Membership, "add"))
    choices = dict(offered_choices(membership))
    assert choices["user"] == {staff}
    assert choices["company"] == {mine[Company]}
    address = dict(offered_choices(staff_client.get(admin_url(ClientEmail, "add"))))
    assert address["client"] == {mine[Client]}


def test_staff_company_filter_lists_only_their_companies(staff_client, mine, theirs):
    response = staff_client.get(admin_url(SandboxMessage, ""))
    content = response.content.decode()
    assert mine[Company].name in content
    assert THEIR_NAME not in content


@pytest.mark.parametrize("model", STAFF_MODELS, ids=label)
def test_superuser_sees_every_companys_rows(superuser_client, mine, theirs, model):
    response = superuser_client.get(admin_url(model, ""))
    shown = {row.pk for row in response.context["cl"].result_list}
    assert {mine[model].pk, theirs[model].pk} <= shown
    change = superuser_client.get(admin_url(model, "change", theirs[model].pk))
    assert change.status_code == 200


@pytest.mark.parametrize("model", SUPERUSER_ONLY_MODELS, ids=label)
def test_staff_cannot_reach_superuser_only_admins(staff_client, model):
    assert staff_client.get(admin_url(model, "")).status_code == 403
    assert staff_client.get(admin_url(model, "add")).status_code == 403
    index = staff_client.get("/admin/").content.decode()
    assert admin_url(model, "") not in index


@pytest.mark.parametrize("model", SUPERUSER_ONLY_MODELS, ids=label)
def test_superuser_reaches_superuser_only_admins(superuser_client, model):
    assert superuser_client.get(admin_url(model, "")).status_code == 200
