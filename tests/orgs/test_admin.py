"""The staff admin of organizations (orgs/admin.py): the list with plan, trial end and seats, the
members inline, the 30-day Business trial action (audited, naming the staff member), and the persons'
admin, which no longer lists (or creates) organizations."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, Membership, User
from billing.plans import plan_limits
from orgs.services import org_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(db):
    staff = User.objects.create(
        username="staffer", email="staff@example.com", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(staff)
    client.staff = staff
    return client


def test_the_org_list_shows_plan_and_seats(team, staff_client):
    page = staff_client.get("/admin/orgs/organization/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "acme" in body and "globex" in body
    assert "3 / 10" in body  # alice, bob, carol of Business's 10 seats
    assert ">alice<" not in body  # people are not organizations


def test_an_org_page_has_its_members_inline(team, staff_client):
    body = staff_client.get(f"/admin/orgs/organization/{team.org.pk}/change/").content.decode()
    assert "memberships-TOTAL_FORMS" in body and 'value="3"' in body
    for person in (team.alice, team.bob, team.carol):
        assert f'value="{person.pk}"' in body


def test_orgs_are_neither_added_nor_deleted_in_the_admin(team, staff_client):
    assert staff_client.get("/admin/orgs/organization/add/").status_code == 403
    assert staff_client.get(f"/admin/orgs/organization/{team.org.pk}/delete/").status_code == 403


def test_grant_a_30_day_business_trial(staff_client):
    founder = User.objects.create(username="founder", email="founder@example.com")
    org = org_create(creator=founder, username="startup")
    assert plan_limits(org).seats == 1
    response = staff_client.post(
        "/admin/orgs/organization/",
        {"action": "grant_business_trial", "_selected_action": [org.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "on Business until" in response.content.decode()
    org.refresh_from_db()
    assert org.plan == "business" and plan_limits(org).code == "business"
    remaining = org.plan_expires_at - timezone.now()
    assert timedelta(days=29, hours=23) < remaining <= timedelta(days=30)
    event = AuditEvent.objects.get(org=org, action="billing.changed")
    assert event.actor_name == "staffer" and event.target == "business" and event.data["until"]


def test_the_persons_admin_lists_people_only_and_still_works(team, staff_client):
    page = staff_client.get("/admin/accounts/user/")
    body = page.content.decode()
    assert page.status_code == 200 and "alice@example.com" in body
    assert f"/admin/accounts/user/{team.org.pk}/change/" not in body
    person = staff_client.get(f"/admin/accounts/user/{team.alice.pk}/change/")
    assert person.status_code == 200
    # an organization is no user there ("doesn't exist" and back to the list)
    assert staff_client.get(f"/admin/accounts/user/{team.org.pk}/change/").status_code == 302
    added = staff_client.post(
        "/admin/accounts/user/add/",
        {"email": "New@Example.com", "username": "newbie", "password1": "a fine long passphrase 1",
         "password2": "a fine long passphrase 1", "usable_password": "true",
         **{f"{inline}-{field}": "0" for inline in ("subscription", "usage")
            for field in ("TOTAL_FORMS", "INITIAL_FORMS")}},
    )  # fmt: skip
    assert added.status_code == 302
    assert User.objects.get(username="newbie").kind == "person"
    assert Membership.objects.filter(org=team.org).count() == 3


class _FormFields(HTMLParser):
    """The fields of the admin's change form as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data[name] = attrs.get("value") or ("on" if attrs.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.strip("\n")


def test_the_staff_edit_an_org_and_a_members_role(team, staff_client):
    url = f"/admin/orgs/organization/{team.org.pk}/change/"
    fields = _FormFields()
    fields.feed(staff_client.get(url).content.decode())
    data = {key: value for key, value in fields.data.items() if not key.startswith("_")}
    data["name"] = "Acme Corporation"
    carol_form = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-user") and v == str(team.carol.pk)
    )
    data[f"memberships-{carol_form}-role"] = "admin"
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    org = User.objects.get(pk=team.org.pk)
    assert org.name == "Acme Corporation" and org.is_org and org.email is None
    assert Membership.objects.get(org=org, user=team.carol).role == "admin"


def test_the_staff_cannot_leave_an_org_without_an_owner(team, staff_client):
    url = f"/admin/orgs/organization/{team.org.pk}/change/"
    fields = _FormFields()
    fields.feed(staff_client.get(url).content.decode())
    data = {key: value for key, value in fields.data.items() if not key.startswith("_")}
    owner_form = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-user") and v == str(team.alice.pk)
    )
    data[f"memberships-{owner_form}-role"] = "admin"  # the only owner demoted
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 200 and "at least one owner" in response.content.decode()
    assert Membership.objects.get(org=team.org, user=team.alice).role == "owner"
    data[f"memberships-{owner_form}-role"] = "owner"
    data[f"memberships-{owner_form}-DELETE"] = "on"  # or removed
    response = staff_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 200 and "at least one owner" in response.content.decode()
    assert Membership.objects.filter(org=team.org, user=team.alice).exists()
