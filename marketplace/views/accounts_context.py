"""Which account the dashboard shows: the person's own, or an organization they belong to, chosen
with the account switcher and kept in the session. Every dashboard page that works on "the account"
(templates, keys, usage and billing, webhooks, renders) asks ``current_account``; the settings pages
(password, email, deleting the account) stay the person's own.

The API does the same with the X-Loopwind-Account header (accounts/acting.py); here the role a page
needs is checked by ``role_required`` and a shortfall is a 403 page naming the role."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import Membership, Role, User, role_at_least
from orgs.selectors import orgs_of

SESSION_KEY = "dashboard:account"
_CACHE_ATTR = "_loopwind_current_account"


def person_of(request) -> User:
    """The signed-in person (the user itself, not the request's lazy wrapper)."""
    return getattr(request.user, "_wrapped", request.user)


def _membership(person: User, slug: str) -> Membership | None:
    return (
        Membership.objects.select_related("org")
        .filter(user=person, org__username=slug, org__kind=User.Kind.ORG, org__is_active=True)
        .first()
    )


def current_account(request) -> tuple[User, str]:
    """The account the dashboard acts for and the person's role in it (``owner`` of their own).
    A session naming an organization the person has left (or that is gone) falls back to the
    personal account, and the session forgets it."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    person = person_of(request)
    result = (person, Role.OWNER.value)
    slug = request.session.get(SESSION_KEY)
    if slug:
        membership = _membership(person, slug)
        if membership is None:
            request.session.pop(SESSION_KEY, None)
        else:
            result = (membership.org, membership.role)
    setattr(request, _CACHE_ATTR, result)
    return result


def account_switch(request, slug: str) -> tuple[User, str]:
    """Makes ``slug`` (an organization of the person's, or '' for their own account) the current
    account; an organization they do not belong to is a 404, as everywhere."""
    person = person_of(request)
    slug = (slug or "").strip().lower()
    if not slug or slug == person.username:
        request.session.pop(SESSION_KEY, None)
        result = (person, Role.OWNER.value)
    else:
        membership = _membership(person, slug)
        if membership is None:
            raise Http404("No such organization, or you are not a member of it.")
        request.session[SESSION_KEY] = membership.org.username
        result = (membership.org, membership.role)
    setattr(request, _CACHE_ATTR, result)
    return result


def role_required(request, needed: str) -> tuple[User, str]:
    """The current account, when the person's role in it is at least ``needed``; else a 403 page."""
    account, role = current_account(request)
    if not role_at_least(role, needed):
        raise PermissionDenied(f"This page needs the {needed} role in {account.username}; you are a {role}.")
    return account, role


@dataclass(frozen=True)
class OrgAccess:
    org: User
    role: str


def org_for_page(request, slug: str, needed: str = Role.MEMBER) -> OrgAccess:
    """An organization page (members, invitations, audit log …): a 404 unless the person is a
    member (organization names do not leak), a 403 page when their role is too low. Opening one
    makes the organization the current account, so the dashboard around it is the organization's."""
    membership = _membership(person_of(request), (slug or "").lower())
    if membership is None:
        raise Http404("No such organization, or you are not a member of it.")
    if request.session.get(SESSION_KEY) != membership.org.username:
        request.session[SESSION_KEY] = membership.org.username
    setattr(request, _CACHE_ATTR, (membership.org, membership.role))
    if not role_at_least(membership.role, needed):
        raise PermissionDenied(
            f"This page needs the {needed} role in {membership.org.username}; you are a {membership.role}."
        )
    return OrgAccess(org=membership.org, role=membership.role)


@dataclass(frozen=True)
class Switcher:
    """What the dashboard's navigation shows: the current account, the ones to switch to, and
    which sections the role opens."""

    person: User
    account: User
    role: str
    choices: list[tuple[str, str, bool]]  # (value, label, selected)

    @property
    def is_org(self) -> bool:
        return self.account.is_org

    @property
    def is_admin(self) -> bool:
        return role_at_least(self.role, Role.ADMIN)

    @property
    def is_owner(self) -> bool:
        return role_at_least(self.role, Role.OWNER)


def switcher_for(request) -> Switcher:
    account, role = current_account(request)
    person = person_of(request)
    choices = [("", f"@{person.username} (your personal account)", not account.is_org)]
    for membership in orgs_of(user=person):
        org = membership.org
        choices.append((org.username, f"{org.username} ({membership.role})", org.pk == account.pk))
    return Switcher(person=person, account=account, role=role, choices=choices)
