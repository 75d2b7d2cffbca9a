"""Who manages an organization's domains (through the X-Loopwind-Account header): admins and owners
add, verify and remove; members may list (to sign URLs on them) but not change; anyone outside the
organization gets 404; signed out, 401."""

from __future__ import annotations

import pytest

from domains.models import Domain
from tests.conftest import assert_error
from tests.domains.conftest import api_for

pytestmark = pytest.mark.django_db

WRITES = ("add", "verify", "delete")


def call(client, what: str, domain: Domain | None):
    if what == "list":
        return client.get("/api/domains")
    if what == "add":
        return client.post("/api/domains", {"domain": "new.acme.example"}, format="json")
    if what == "verify":
        return client.post(f"/api/domains/{domain.public_id}/verify")
    return client.delete(f"/api/domains/{domain.public_id}")


@pytest.mark.parametrize("what", ["list", *WRITES])
@pytest.mark.parametrize("who", ["owner", "admin", "member", "outsider", "visitor"])
def test_matrix(team, local_dns, who, what):
    domain = Domain.objects.create(account=team.org, domain="og.acme.example")
    person = team.people()[who]
    client = api_for(person, account="acme") if person is not None else None
    if client is None:
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_X_LOOPWIND_ACCOUNT="acme")
    response = call(client, what, domain)
    if who == "visitor":
        assert_error(response, 401)
    elif who == "outsider":
        assert_error(response, 404, "account_not_found")
    elif who == "member" and what in WRITES:
        assert_error(response, 403, "insufficient_role")
    else:
        assert response.status_code in (200, 201, 204), response.content
    # the database says the same
    still = Domain.objects.filter(pk=domain.pk).exists()
    assert still == (what != "delete" or who not in ("owner", "admin"))
    added = Domain.objects.filter(domain="new.acme.example").exists()
    assert added == (what == "add" and who in ("owner", "admin"))


def test_an_outsider_acting_for_their_own_org_sees_only_theirs(team):
    Domain.objects.create(account=team.org, domain="og.acme.example")
    assert api_for(team.dave, account="globex").get("/api/domains").json() == []
