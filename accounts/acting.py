"""Whom a request acts for. A person acts for themselves, or for an organization they belong to
when the request names it in the ``X-Loopwind-Account`` header (the CLI's ``--org``, the SDKs'
``account``). The request's ``user`` is then the organization — every endpoint that reads
``request.user`` as "the account" (keys, usage, templates, renders, deliveries, billing) works
for it unchanged — and ``request.auth`` is an ``ActingAs`` naming the person and their role. An
organization's API key acts for the organization and needs no header.

Views say which role they need: ``account_role = "admin"`` (or a dict by method, like
``required_scopes``); the default is ``member``; ``None`` marks what only a person's own account
has (its password, its profile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework.permissions import SAFE_METHODS

from accounts.models import ApiKey, Membership, Role, User, role_at_least
from core.errors import ApiError, Forbidden, NotFound

ACCOUNT_HEADER = "X-Loopwind-Account"
ACCOUNT_META_KEY = "HTTP_" + ACCOUNT_HEADER.upper().replace("-", "_")  # as WSGI names it
DEFAULT_ROLE = Role.MEMBER


class AccountNotFound(NotFound):
    code = "account_not_found"
    message = "No such organization, or you are not a member of it."


class AccountMismatch(ApiError):
    code = "account_mismatch"


class InsufficientRole(Forbidden):
    code = "insufficient_role"


class PersonalAccountOnly(Forbidden):
    code = "personal_account_only"
    message = "This acts on a person's own account; an organization has none."


@dataclass(frozen=True)
class ActingAs:
    """``request.auth`` when a person acts for an organization."""

    actor: User
    role: str
    token: Any  # the person's validated access token


def header_account(request) -> str:
    return (request.META.get(ACCOUNT_META_KEY) or "").strip().lower()


def org_for_member(*, user: User, slug: str, minimum_role: str = DEFAULT_ROLE) -> tuple[User, str]:
    """The organization ``slug`` and the person's role in it; a 404 (never a 403) when it does not
    exist or they are not a member, so organization names do not leak."""
    membership = (
        Membership.objects.select_related("org")
        .filter(user=user, org__username=slug, org__kind=User.Kind.ORG, org__is_active=True)
        .first()
    )
    if membership is None:
        raise AccountNotFound()
    if not role_at_least(membership.role, minimum_role):
        raise InsufficientRole(
            f"This needs the {minimum_role} role in {slug}; you are a {membership.role}.",
            details={"requiredRole": minimum_role, "role": membership.role},
        )
    return membership.org, membership.role


def resolve(request, user: User, auth):
    """The (user, auth) pair a request authenticates as, after the account header."""
    slug = header_account(request)
    if not slug or slug == user.username:
        return user, auth
    if isinstance(auth, ApiKey):
        raise AccountMismatch(
            f"This API key belongs to {user.username}; it cannot act for {slug}. Use a key of {slug}.",
            details={"keyAccount": user.username, "account": slug},
        )
    org, role = org_for_member(user=user, slug=slug)
    return org, ActingAs(actor=user, role=role, token=auth)


def required_role(view, method: str) -> str | None:
    needed = getattr(view, "account_role", DEFAULT_ROLE)
    if isinstance(needed, dict):
        fallback = needed.get("SAFE" if method in SAFE_METHODS else "UNSAFE", DEFAULT_ROLE)
        return needed.get(method, fallback)
    return needed


def check_role(request, view) -> None:
    """Raises unless the caller's role in the account allows this view and method."""
    user = request.user
    if not getattr(user, "is_org", False):
        return
    needed = required_role(view, request.method)
    if needed is None:
        raise PersonalAccountOnly()
    auth = request.auth
    if isinstance(auth, ActingAs):
        if not role_at_least(auth.role, needed):
            raise InsufficientRole(
                f"This needs the {needed} role in {user.username}; you are a {auth.role}.",
                details={"requiredRole": needed, "role": auth.role},
            )
    elif needed == Role.OWNER:  # an organization's API key: never billing, roles or deletion
        raise InsufficientRole(
            f"This needs an owner of {user.username}, signed in; an API key cannot do it.",
            details={"requiredRole": needed},
        )


def actor_of(request) -> User | None:
    """The person behind a request: who an audit event names."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, ActingAs):
        return auth.actor
    if isinstance(auth, ApiKey) and auth.user.is_org:
        return auth.created_by if auth.created_by_id else None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
