"""Settings > API tokens: owners only (a member and an outsider get 404), the secret shown once
and stored hashed, a name required, revoke after confirmation, CSRF on."""

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from porto.api.models import ApiToken, secret_hash
from porto.api.services import token_create

pytestmark = pytest.mark.django_db

PAGE = reverse("api_tokens")


def revoke_url(token: ApiToken) -> str:
    return reverse("api_token_revoke", args=[token.pk])


def test_an_owner_creates_a_token_and_sees_its_secret_once(owner_client, company):
    response = owner_client.post(PAGE, {"name": "Webshop"})
    assert response.status_code == 200
    token = ApiToken.objects.get(company=company)
    secret = response.context["created"].secret
    assert token.secret_hash == secret_hash(secret) and token.name == "Webshop"
    assert secret.encode() in response.content
    assert b"Copy it now" in response.content
    assert secret.encode() not in owner_client.get(PAGE).content


def test_the_list_shows_prefix_creator_and_last_use_not_the_secret(owner_client, company, owner):
    made = token_create(company, owner, "Boekhouding")
    html = owner_client.get(PAGE).content.decode()
    assert "Boekhouding" in html and f"{made.token.prefix}…" in html
    assert made.secret not in html and "Never" in html


def test_a_token_without_a_name_is_refused_next_to_the_field(owner_client):
    response = owner_client.post(PAGE, {"name": "  "})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name": ["Give the token a name, e.g. the software that will use it."]
    }
    assert not ApiToken.objects.exists()


def test_revoke_asks_first_then_revokes(owner_client, company, owner):
    made = token_create(company, owner, "Webshop")
    page = owner_client.get(revoke_url(made.token))
    assert page.status_code == 200 and b"cannot be undone" in page.content
    assert ApiToken.objects.get().revoked_at is None
    response = owner_client.post(revoke_url(made.token))
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None


def test_a_member_gets_404_on_every_token_url(client, teammate, company, owner):
    made = token_create(company, owner, "Webshop")
    client.force_login(teammate)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"name": "Mine"}).status_code == 404
    assert client.get(revoke_url(made.token)).status_code == 404
    assert client.post(revoke_url(made.token)).status_code == 404
    assert ApiToken.objects.get().revoked_at is None and ApiToken.objects.count() == 1


def test_an_outsider_gets_404_on_our_tokens(outsider_client, company, owner):
    made = token_create(company, owner, "Webshop")
    assert outsider_client.get(revoke_url(made.token)).status_code == 404
    assert outsider_client.post(revoke_url(made.token)).status_code == 404
    assert ApiToken.objects.get().revoked_at is None
    assert made.token.prefix not in outsider_client.get(PAGE).content.decode()


def test_creating_or_revoking_without_the_csrf_token_is_refused(owner, company):
    made = token_create(company, owner, "Webshop")
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post(PAGE, {"name": "X"}).status_code == 403
    assert browser.post(revoke_url(made.token)).status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


def test_the_menu_offers_the_page_to_owners_only(owner_client, client, teammate):
    assert PAGE.encode() in owner_client.get(reverse("clients")).content
    client.force_login(teammate)
    assert PAGE.encode() not in client.get(reverse("clients")).content


def test_a_token_made_on_the_page_opens_the_api(owner_client, company):
    secret = owner_client.post(PAGE, {"name": "Webshop"}).context["created"].secret
    response = HttpClient().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
