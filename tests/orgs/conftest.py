"""Organizations as the healthchecks tests do teams: alice owns acme, bob is its admin, carol a
member; dave belongs to another organization (globex); a visitor is signed out."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership, Role, User
from accounts.services import tokens_for_user
from billing.services import plan_set
from orgs.services import org_create


def client_for(person: User | None, account: str | None = None) -> APIClient:
    """An API client signed in as ``person`` (a JWT), acting for ``account`` when given."""
    credentials = {}
    if person is not None:
        credentials["HTTP_AUTHORIZATION"] = f"Bearer {tokens_for_user(person)['token']}"
    if account:
        credentials["HTTP_X_LOOPWIND_ACCOUNT"] = account
    client = APIClient()
    client.credentials(**credentials)
    return client


def key_client(raw_key: str, account: str | None = None) -> APIClient:
    """An API client with an API key, sending the account header when given."""
    client = APIClient()
    extra = {"HTTP_X_LOOPWIND_ACCOUNT": account} if account else {}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}", **extra)
    return client


@dataclass
class Team:
    org: User
    other_org: User
    alice: User  # owner
    bob: User  # admin
    carol: User  # member
    dave: User  # owner of the other organization, stranger to acme

    def people(self) -> dict[str, User | None]:
        return {
            "owner": self.alice,
            "admin": self.bob,
            "member": self.carol,
            "outsider": self.dave,
            "visitor": None,
        }


@pytest.fixture
def team(db) -> Team:
    # No passwords (hashing one costs more than the rest of a test): they act with JWTs.
    alice, bob, carol, dave = (
        User.objects.create(username=name, email=f"{name}@example.com", name=name.title())
        for name in ("alice", "bob", "carol", "dave")
    )
    org = org_create(creator=alice, username="acme", name="Acme Inc.")
    plan_set(user=org, code="business")
    Membership.objects.create(org=org, user=bob, role=Role.ADMIN)
    Membership.objects.create(org=org, user=carol, role=Role.MEMBER)
    other = org_create(creator=dave, username="globex", name="Globex")
    plan_set(user=other, code="business")
    org.refresh_from_db()
    other.refresh_from_db()
    return Team(org=org, other_org=other, alice=alice, bob=bob, carol=carol, dave=dave)
