"""Scopes: an API key may do what its scopes allow; a JWT (a signed-in person) may do anything
its user may. Views name what they need: ``required_scopes = {"GET": "render:read", ...}``
or one scope for every method."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import acting
from accounts.models import API_KEY_SCOPES, ApiKey
from core.errors import Forbidden, Unauthorized


def scopes_of(request) -> frozenset[str]:
    if isinstance(request.auth, ApiKey):
        return frozenset(request.auth.scopes)
    return frozenset(API_KEY_SCOPES)


def required_scope(view, method: str) -> str | None:
    needed = getattr(view, "required_scopes", None)
    if isinstance(needed, dict):
        return needed.get(method) or (needed.get("SAFE") if method in SAFE_METHODS else needed.get("UNSAFE"))
    return needed


class HasRequiredScopes(BasePermission):
    """Authenticated, and (for API keys) holding the scope the view names for this method."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            raise Unauthorized()
        self.check_scope(request, required_scope(view, request.method))
        acting.check_role(request, view)
        return True

    def check_scope(self, request, scope: str | None) -> None:
        if scope and scope not in scopes_of(request):
            raise Forbidden(
                f"This API key lacks the '{scope}' scope.",
                code="insufficient_scope",
                details={"requiredScope": scope, "keyScopes": sorted(scopes_of(request))},
            )


class PublicReads(HasRequiredScopes):
    """Anyone may read (GET, HEAD, OPTIONS); writes need a signed-in caller. A key that is sent
    must hold the scope either way."""

    anonymous_reads = True  # read by core.api.AutoSchema: these operations need no credentials

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS and not (request.user and request.user.is_authenticated):
            return True
        return super().has_permission(request, view)
