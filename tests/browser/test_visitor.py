"""A first-time visitor's rough edges (issue 21) in a real browser: sign-out lands back on the page,
sign-in by username returns to where the visitor was."""

import re

import pytest

from accounts.models import User
from tests.browser.conftest import Console
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def visitor(site):
    return User.objects.create_user("visitor@example.com", "visitor", PASSWORD)


def sign_in(page, login, *, expect):
    page.get_by_label("Email or username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(expect)


def test_sign_out_and_in_return_to_the_page(site, visitor, browser, shots):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)

    page.goto(site + "/loopwind/og-card")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/login\?next=/loopwind/og-card"))
    sign_in(page, "visitor", expect=site + "/loopwind/og-card")  # the username, not the email
    assert "Signed in as @visitor" in page.locator(".messages").inner_text()

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(site + "/loopwind/og-card")
    assert "You are signed out." in page.locator(".messages").inner_text()
    assert page.get_by_role("button", name="Sign out").count() == 0
    assert "/admin" not in page.url
    shots(page, "visitor-signed-out")

    # From the dashboard (signed-in only), sign-out goes home rather than to a sign-in wall
    page.goto(site + "/login")
    sign_in(page, "visitor@example.com", expect=site + "/")
    page.goto(site + "/dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(site + "/")
    assert "You are signed out." in page.locator(".messages").inner_text()
    assert console.problems() == []
    context.close()


def test_revoking_a_key_asks_first(site, visitor, browser, shots):
    from accounts.models import ApiKey
    from accounts.services import api_key_create

    key, _ = api_key_create(user=visitor, name="ci-deploy", scopes=["render:read"])
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)
    page.goto(site + "/login?next=/dashboard/keys")
    sign_in(page, "visitor", expect=site + "/dashboard/keys")
    page.get_by_role("link", name="Revoke ci-deploy").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"Revoke key ‘ci-deploy’ ({key.prefix}…)?"
    assert "stops working at once" in page.locator("#confirm-consequence").inner_text()
    shots(page, "visitor-confirm-revoke")
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_url(site + "/dashboard/keys")
    page.get_by_role("link", name="Revoke ci-deploy").click()
    page.get_by_role("button", name="Revoke ci-deploy").click()
    page.wait_for_url(site + "/dashboard/keys")
    assert "Revoked key ‘ci-deploy’" in page.locator(".messages").inner_text()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert console.problems() == []
    context.close()


def test_star_while_signed_out_then_sign_in(site, visitor, browser, shots):
    from templates_registry.models import Star

    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)
    page.goto(site + "/loopwind/og-card")
    page.get_by_role("button", name=re.compile("Star")).click()
    page.wait_for_url(re.compile(r".*/login\?next=/loopwind/og-card"))
    assert "star loopwind/og-card" in page.locator(".messages").inner_text()
    shots(page, "visitor-star-sign-in")
    sign_in(page, "visitor", expect=site + "/loopwind/og-card")
    assert "Starred loopwind/og-card." in page.locator(".messages").inner_text()
    assert "Starred · 1" in page.get_by_role("button", name=re.compile("Starred")).inner_text()
    assert Star.objects.filter(user=visitor).count() == 1
    shots(page, "visitor-starred")
    page.reload()
    assert Star.objects.filter(user=visitor).count() == 1
    assert console.problems() == []
    context.close()


def test_accessibility_basics(site, browser, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)
    page.goto(site + "/loopwind/og-card")
    # Header links and the sign-out button are at least 44px tall
    heights = page.eval_on_selector_all(
        ".site-header nav a, .site-header nav button", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= 44, heights
    # The color prop has a picker beside its text, kept in step both ways
    picker = page.get_by_label("Pick accent")
    assert picker.is_visible()
    page.get_by_label("accent (optional)").fill("#10b981")
    assert picker.input_value() == "#10b981"
    picker.fill("#ff0000")
    assert page.get_by_label("accent (optional)").input_value() == "#ff0000"
    # Copy buttons are told apart by name
    assert page.get_by_role("button", name="Copy curl example").count() == 1
    assert page.get_by_role("button", name="Copy CLI command").count() == 1
    shots(page, "visitor-mobile-template", full_page=True)
    assert console.problems() == []
    context.close()
