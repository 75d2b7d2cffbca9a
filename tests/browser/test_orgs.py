"""Organizations in a real browser (issue 15, item 7): the dashboard's account switcher takes an
owner from their personal account to the organization's, the organization's pages work from there
(an invitation sent with the form), the invitee opens the emailed link, and axe-core finds nothing
serious or critical on any of these pages."""

import re

import pytest
from django.core import mail
from django.test import Client

from tests.browser.axe import axe_violations
from tests.browser.conftest import Console

pytestmark = pytest.mark.django_db(transaction=True)

ORG_PAGES = [
    "/dashboard/orgs/acme/members",
    "/dashboard/orgs/acme/invitations",
    "/dashboard/orgs/acme/audit",
    "/dashboard/orgs/acme/profile",
    "/dashboard/orgs/acme/delete",
    "/dashboard/keys",
    "/dashboard/billing",
    "/dashboard/orgs/new",
    "/acme",
]


def session_context(browser, site, person, **options):
    """A browser context signed in as ``person`` (the session cookie of a test client)."""
    client = Client()
    client.force_login(person)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )
    return context


@pytest.fixture
def acme(site):
    from accounts.models import Membership, Role, User
    from billing.services import plan_set
    from orgs.services import org_create

    alice = User.objects.create_user("alice@example.com", "alice", None, name="Alice")
    carol = User.objects.create_user("carol@example.com", "carol", None, name="Carol")
    org = org_create(creator=alice, username="acme", name="Acme Inc.", bio="We make launch cards.")
    plan_set(user=org, code="business")
    Membership.objects.create(org=org, user=carol, role=Role.MEMBER)
    return {"alice": alice, "org": org, "site": site}


def test_switch_to_the_org_invite_and_accept_with_axe(acme, browser, shots):
    from accounts.models import Membership, User

    site = acme["site"]
    context = session_context(browser, site, acme["alice"])
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = Console(page)
    problems = {}

    page.goto(site + "/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    problems["/dashboard (personal)"] = axe_violations(page)

    switcher = page.get_by_label("Account")
    assert switcher.locator("option").all_inner_texts() == ["@alice (your personal account)", "acme (owner)"]
    switcher.select_option("acme")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(site + "/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard · Acme Inc."
    assert "You are working as acme (you are owner)." in page.locator(".messages").inner_text()
    assert page.get_by_role("heading", name="Templates of acme").is_visible()
    nav = page.get_by_role("navigation", name="Dashboard")
    for link in (
        "Members",
        "Invitations",
        "Audit log",
        "Organization profile",
        "API keys",
        "Usage & billing",
    ):
        assert nav.get_by_role("link", name=link).is_visible(), link
    problems["/dashboard (acme)"] = axe_violations(page)
    shots(page, "orgs-dashboard-switched")

    nav.get_by_role("link", name="Invitations").click()
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Role").select_option("admin")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url(site + "/dashboard/orgs/acme/invitations")
    assert "Invited erin@example.com as admin" in page.locator(".messages").inner_text()
    assert page.get_by_role("cell", name="erin@example.com", exact=True).is_visible()

    for path in ORG_PAGES:
        page.goto(site + path)
        problems[path] = axe_violations(page)
    shots(page, "orgs-profile")
    assert "Organization" in page.locator("h1 .badge").inner_text()

    # the invitee follows the emailed link
    token = re.search(r"/invitations/(\S+)", mail.outbox[-1].body).group(1)
    erin = User.objects.create_user("erin@example.com", "erin", None, name="Erin")
    invitee_context = session_context(browser, site, erin)
    invitee = invitee_context.new_page()
    invitee.goto(f"{site}/invitations/{token}")
    assert invitee.get_by_role("heading", level=1).inner_text() == "Join Acme Inc."
    problems["/invitations/<token>"] = axe_violations(invitee)
    invitee.get_by_role("button", name="Accept and join acme").click()
    invitee.wait_for_url(site + "/dashboard")
    assert invitee.get_by_role("heading", level=1).inner_text() == "Dashboard · Acme Inc."
    assert Membership.objects.get(org=acme["org"], user=erin).role == "admin"
    invitee_context.close()

    # and back to the personal account
    page.goto(site + "/dashboard")
    page.get_by_label("Account").select_option("")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(site + "/dashboard")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard"
    context.close()

    problems = {path: found for path, found in problems.items() if found}
    assert not problems, "\n".join(f"{path}: {line}" for path, lines in problems.items() for line in lines)
    assert not console.problems(), console.problems()
