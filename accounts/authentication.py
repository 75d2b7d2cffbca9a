"""One authentication class for ``Authorization: Bearer <token>``: the token is either a JWT
access token (from sign-in or the CLI's device login) or an API key (``lw_live_…``)."""

from __future__ import annotations

import hmac

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication

from accounts import acting, keyformat, selectors
from accounts.keycache import api_key_by_hash
from accounts.services import api_key_mark_used
from core.errors import Unauthorized


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    message = "The API key is not valid."


class RevokedApiKey(Unauthorized):
    code = "api_key_revoked"
    message = "This API key has been revoked."


class BearerAuthentication(BaseAuthentication):
    keyword = b"bearer"
    _jwt = JWTAuthentication()

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise Unauthorized("The Authorization header must be 'Bearer <token>'.", code="invalid_header")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise Unauthorized("The token contains invalid characters.", code="invalid_header") from exc
        if keyformat.looks_like_key(raw):
            user, key = self._authenticate_key(raw)
            return acting.resolve(request, user, key)
        validated = self._jwt.get_validated_token(header[1])
        user = self._jwt.get_user(validated)
        if not selectors.token_is_current(token=validated, user=user):  # signed out everywhere since
            raise Unauthorized("This token was revoked. Sign in again.", code="token_revoked")
        return acting.resolve(request, user, validated)  # or the organization the header names

    def _authenticate_key(self, raw: str):
        if not keyformat.is_well_formed(raw):
            raise InvalidApiKey()
        digest = keyformat.hash_key(raw)
        return key_accepted(api_key_by_hash(digest), digest)  # the shared hot-path cache, else one query

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def key_accepted(key, digest: str):
    """(user, key) for a key found by ``digest`` that may be used (its use recorded), else the
    401 that says why. Also the render hit path's check (rendering.fastpath)."""
    # The lookup is by hash, so timing says nothing about the key; compare anyway, in constant time.
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        raise InvalidApiKey()
    if key.revoked_at is not None:
        raise RevokedApiKey()
    if not key.user.is_active:
        raise Unauthorized("This account is suspended.", code="account_suspended")
    api_key_mark_used(key=key)
    return key.user, key


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A JWT access token from /api/auth/login, or an API key (lw_live_…).",
        }
