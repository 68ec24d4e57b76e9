"""Members' own API tokens: several per member, each named and revocable, made and revoked on /me/tokens/.

The key is shown once, when made; only its SHA-256 is stored (a key is 32 random bytes, so a plain hash is enough
to make a stolen table useless). A request authenticates with ``Authorization: Token zp_…``. Keys that an operator
issued before (``rest_framework.authtoken``, one per user) keep working through the same header; a member may
revoke theirs here as well.
"""
from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from marketplace.kernel.errors import NotPermitted
from marketplace.kernel.statemachine import Rules
from marketplace.models import ApiToken

KEY_PREFIX = "zp_"
NAME_MAX = 100
#: a member's live tokens at most; revoke one to make another
TOKENS_MAX = 20


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# reads ------------------------------------------------------------------------------------------
def api_tokens_for(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-pk")


def legacy_token_for(*, user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


# writes -----------------------------------------------------------------------------------------
@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` named ``name``: the row and the key, which is never shown again."""
    name = (name or "").strip()
    rules = Rules()
    rules.check(bool(name), "name", "required", "请为令牌命名（例如用途或所在系统）/ give the token a name")
    rules.check(len(name) <= NAME_MAX, "name", "too_long", f"名称最多 {NAME_MAX} 个字符 / at most {NAME_MAX} characters")
    live = ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    rules.check(live.count() < TOKENS_MAX, "name", "too_many",
                f"最多同时保留 {TOKENS_MAX} 个有效令牌，请先撤销不用的 / at most {TOKENS_MAX} live tokens")
    rules.check(not live.filter(name=name).exists(), "name", "taken", "已有同名的有效令牌 / a live token has this name")
    rules.raise_if_any()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:10], key_hash=_hash(key))
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens (idempotent). Someone else's token is refused as if unknown."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotPermitted("没有这个令牌 / no such token of yours", field="token", code="not_yours")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@transaction.atomic
def legacy_token_revoke(*, user: User) -> int:
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


# authentication ---------------------------------------------------------------------------------
class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``: a member's named token (``zp_…``), else an operator-issued legacy token."""

    def authenticate_credentials(self, key: str):  # type: ignore[no-untyped-def,override]
        if not key.startswith(KEY_PREFIX):
            return super().authenticate_credentials(key)
        token = ApiToken.objects.select_related("user").filter(key_hash=_hash(key)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("令牌无效或已撤销 / invalid or revoked token"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("用户已停用 / user inactive"))
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most once a minute per token
        return token.user, token
