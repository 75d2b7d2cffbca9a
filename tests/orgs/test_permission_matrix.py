"""Who may do what to an organization, in the style of healthchecks' alice/bob/charlie tests: the
owner, an admin, a member, a member of another organization and a signed-out visitor, against every
organization endpoint and every account endpoint acting for it (the X-Loopwind-Account header).

Allowed: any answer but 401/403/404 and never a 5xx. A role below the one needed: 403. Anyone
outside the organization: 404 (names do not leak). Signed out: 401."""

from __future__ import annotations

import pytest
from django.test import TestCase

from accounts.models import ApiKey, Invitation, Membership, Role, User
from orgs.services import invitation_create
from tests.conftest import assert_error
from tests.orgs.conftest import client_for

pytestmark = pytest.mark.django_db

RANK = {"visitor": -2, "outsider": -1, "member": 0, "admin": 1, "owner": 2}

# (method, path, body, role needed, via the account header?)
ORG_ENDPOINTS = [
    ("GET", "/api/orgs/acme", None, "member", False),
    ("PATCH", "/api/orgs/acme", {"bio": "We make things."}, "admin", False),
    ("DELETE", "/api/orgs/acme", None, "owner", False),
    ("GET", "/api/orgs/acme/members", None, "member", False),
    ("PATCH", "/api/orgs/acme/members/carol", {"role": "admin"}, "owner", False),
    ("DELETE", "/api/orgs/acme/members/erin", None, "admin", False),  # erin: another member
    ("GET", "/api/orgs/acme/invitations", None, "admin", False),
    ("POST", "/api/orgs/acme/invitations", {"email": "new@example.com"}, "admin", False),
    ("DELETE", "/api/orgs/acme/invitations/{invitation}", None, "admin", False),
    ("GET", "/api/orgs/acme/audit", None, "admin", False),
    # the account's own endpoints, acting for acme
    ("GET", "/api/me/usage", None, "member", True),
    ("GET", "/api/me/templates", None, "member", True),
    ("GET", "/api/webhooks/deliveries", None, "member", True),
    ("GET", "/api/keys", None, "admin", True),
    ("POST", "/api/keys", {"name": "ci"}, "admin", True),
    ("DELETE", "/api/keys/{key}", None, "admin", True),
    ("GET", "/api/webhooks/secret", None, "admin", True),
    ("POST", "/api/render/signing-secret", None, "admin", True),
    ("POST", "/api/billing/checkout", {"plan": "pro"}, "owner", True),
    ("POST", "/api/billing/portal", None, "owner", True),
]
PEOPLE = ["owner", "admin", "member", "outsider", "visitor"]


def _ids():
    return [f"{m} {p.replace('/api/', '')} as {who}" for (m, p, *_rest) in ORG_ENDPOINTS for who in PEOPLE]


@pytest.mark.parametrize(
    ("method", "path", "body", "needed", "via_header", "who"),
    [(*endpoint, who) for endpoint in ORG_ENDPOINTS for who in PEOPLE],
    ids=_ids(),
)
def test_permission_matrix(team, method, path, body, needed, via_header, who):
    with TestCase.captureOnCommitCallbacks(execute=False):
        invitation, _token = invitation_create(org=team.org, actor=team.alice, email="pending@example.com")
    Membership.objects.create(
        org=team.org, user=User.objects.create(username="erin", email="erin@example.com")
    )
    key = ApiKey.objects.create(user=team.org, name="existing", prefix="lw_live_x", key_hash="0" * 64)
    path = path.format(invitation=invitation.public_id, key=key.public_id)
    person = team.people()[who]
    client = client_for(person, account="acme" if via_header else None)
    response = client.generic(method, path, None if body is None else __import__("json").dumps(body),
                              content_type="application/json")  # fmt: skip
    if who == "visitor":
        assert_error(response, 401)
    elif who == "outsider":
        assert_error(response, 404)
    elif RANK[who] < RANK[needed]:
        assert_error(response, 403, "insufficient_role")
    elif path.startswith("/api/billing/") and response.status_code == 503:
        assert_error(
            response, 503, "billing_disabled"
        )  # allowed through; no Stripe in this test (test_stripe.py)
    else:
        assert response.status_code < 500, response.content[:300]
        assert response.status_code not in (401, 403, 404), (response.status_code, response.content[:300])


def test_invitation_accept_for_every_person(team):
    """Only the invited address may accept; everyone else is refused the same way."""
    with TestCase.captureOnCommitCallbacks(execute=False):
        _invitation, token = invitation_create(
            org=team.org, actor=team.bob, email="dave@example.com", role=Role.ADMIN
        )
    for who in ("owner", "admin", "member"):
        response = client_for(team.people()[who]).post(f"/api/orgs/acme/invitations/{token}/accept")
        assert_error(response, 403, "invitation_email_mismatch")
    assert_error(client_for(None).post(f"/api/orgs/acme/invitations/{token}/accept"), 401)
    assert client_for(team.dave).post(f"/api/orgs/acme/invitations/{token}/accept").json()["role"] == "admin"
    assert Invitation.objects.get().accepted_by == team.dave
