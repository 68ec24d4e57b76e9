"""Members' own API tokens: made, named and revoked on /me/tokens/; a revoked token is refused; nobody revokes
another member's token; operator-issued tokens keep working."""
from __future__ import annotations

import re

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from marketplace import api_tokens
from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import RuleBroken
from marketplace.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _api(key: str):
    return Client().get("/api/notifications/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_member_makes_names_uses_and_revokes_a_token_on_the_page():
    user = UserFactory()
    client = Client()
    client.force_login(user)

    page = client.post("/me/tokens/", {"name": "ERP 同步"}).content.decode()
    key = re.search(r'id="new-token-key">([^<]+)<', page).group(1)
    token = ApiToken.objects.get(user=user)
    assert token.name == "ERP 同步" and key.startswith("zp_") and token.key_hash != key and key not in token.key_hash
    assert key not in client.get("/me/tokens/").content.decode()  # shown once

    assert _api(key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert client.post(f"/me/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = _api(key)
    # refused, saying why (403 rather than 401: session authentication is listed first, so no challenge header)
    assert refused.status_code in (401, 403) and "令牌无效或已撤销" in refused.content.decode()


def test_a_token_needs_a_name_and_the_page_says_so():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    response = client.post("/me/tokens/", {"name": "  "})
    assert response.status_code == 400 and 'data-field="name"' in response.content.decode()
    assert not ApiToken.objects.exists()
    with pytest.raises(RuleBroken):
        api_tokens.api_token_create(user=user, name="x" * 101)


def test_two_live_tokens_may_not_share_a_name_but_several_tokens_may_live():
    user = UserFactory()
    api_tokens.api_token_create(user=user, name="a")
    api_tokens.api_token_create(user=user, name="b")
    with pytest.raises(RuleBroken):
        api_tokens.api_token_create(user=user, name="a")
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 2


def test_another_member_cannot_revoke_your_token():
    owner, other = UserFactory(), UserFactory()
    token, key = api_tokens.api_token_create(user=owner, name="mine")
    client = Client()
    client.force_login(other)
    assert client.post(f"/me/tokens/{token.pk}/revoke/").status_code == 404
    with pytest.raises(NotPermitted):
        api_tokens.api_token_revoke(user=other, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None and _api(key).status_code == 200
    assert "mine" not in client.get("/me/tokens/").content.decode()


def test_an_unknown_token_is_refused():
    assert _api("zp_not-a-real-key").status_code in (401, 403)


def test_an_operator_issued_token_still_works_and_its_member_may_revoke_it():
    user = UserFactory()
    legacy = Token.objects.create(user=user)
    assert _api(legacy.key).status_code == 200
    client = Client()
    client.force_login(user)
    assert 'id="token-legacy"' in client.get("/me/tokens/").content.decode()
    client.post("/me/tokens/legacy/revoke/")
    assert _api(legacy.key).status_code in (401, 403)


def test_the_token_page_needs_a_login():
    response = Client().get("/me/tokens/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
