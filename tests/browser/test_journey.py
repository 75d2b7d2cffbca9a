"""The marketplace in a real browser: sign up → API key → browse → search → template → try it with
new props (a new image) → star → profile; the dashboard's usage shows the render; staff unpublishes
the template and it leaves search."""

import re

import pytest

from accounts.models import User
from tests.browser.conftest import Console
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def image_loaded(page, selector):
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_visitor_journey_and_staff_unpublish(site, browser, shots):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)

    # Home, with the official templates and their previews
    page.goto(site + "/")
    assert page.locator(".tpl-card").count() >= 2
    assert image_loaded(page, ".tpl-card img")
    assert page.eval_on_selector(".site-header", "el => getComputedStyle(el).display") == "flex"  # our CSS
    shots(page, "journey-home")

    # Sign up
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("journey@example.com")
    page.get_by_label("Username").fill("journey")
    page.get_by_label("Password").fill(PASSWORD)
    assert "at least 8 characters" in page.locator("#id_password_helptext").inner_text()  # rules up front
    shots(page, "signup")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(site + "/dashboard")
    assert User.objects.filter(username="journey").exists()
    assert page.get_by_role("heading", name="Welcome, @journey! Next steps").is_visible()
    assert "pip install loopwind" in page.locator("#next-cli").inner_text()
    shots(page, "dashboard-next-steps")

    # Create an API key: shown once, with a copy button
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Key name").fill("ci")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#new-key").inner_text().strip()
    assert re.fullmatch(r"lw_live_\w+", key)
    page.locator("button.copy[data-copy=new-key]").click()
    shots(page, "dashboard-keys")

    # Browse, then search
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Templates").click()
    page.wait_for_url(site + "/templates")
    assert page.locator(".tpl-card").count() == 2
    shots(page, "browse")
    page.get_by_label("Search", exact=True).fill("open graph")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r".*/templates\?q=open\+graph.*"))
    assert page.locator(".tpl-card h3").all_inner_texts() == ["loopwind/og-card"]

    # Open the template and try it with new props (the preview follows the typing; the button renders now)
    page.locator(".tpl-card a.tpl-link").first.click()
    page.wait_for_url(site + "/loopwind/og-card")
    preview_src = page.locator("#try-preview").get_attribute("src")
    page.get_by_label("title", exact=True).fill("Rendered in the browser journey")
    page.get_by_label("accent (optional)").fill("#10b981")
    page.get_by_role("button", name="Render").click()
    page.wait_for_function(
        "src => document.getElementById('try-preview').getAttribute('src') !== src", arg=preview_src
    )
    page.wait_for_function("() => document.getElementById('try-preview').complete")
    assert image_loaded(page, "#try-preview")
    shots(page, "journey-template")

    # Star it, then find it on the profile
    page.get_by_role("button", name=re.compile("Star")).click()
    assert "Starred · 1" in page.get_by_role("button", name=re.compile("Starred")).inner_text()
    page.get_by_role("link", name="@journey").click()
    page.wait_for_url(site + "/journey")
    starred = page.locator("section", has=page.get_by_role("heading", name="Starred"))
    assert "og-card" in starred.inner_text()
    shots(page, "profile")

    # The dashboard's usage reflects the render
    page.goto(site + "/dashboard/billing")
    assert page.locator("[data-usage=imageRenders] .usage-num").inner_text().startswith("1 /")
    assert page.locator("[data-usage=imageRenders] meter").get_attribute("value") == "1"
    shots(page, "dashboard-usage")
    page.goto(site + "/docs")
    shots(page, "docs")
    assert console.problems() == []
    context.close()

    # Staff unpublishes the template in /admin: it leaves search
    User.objects.create_superuser("staff@example.com", "staff-person", PASSWORD)
    staff = browser.new_context(viewport={"width": 1280, "height": 860})
    admin = staff.new_page()
    admin.set_default_timeout(20_000)
    admin_console = Console(admin)
    admin.goto(site + "/login?next=/admin/templates_registry/template/")
    admin.get_by_label("Email").fill("staff@example.com")
    admin.get_by_label("Password").fill(PASSWORD)
    admin.get_by_role("button", name="Sign in").click()
    admin.wait_for_url(re.compile(r".*/admin/templates_registry/template/"))
    row = admin.locator("#result_list tr", has=admin.get_by_role("link", name="og-card", exact=True))
    row.locator("input.action-select").check()
    admin.select_option("select[name=action]", "unpublish")
    admin.locator("input[name=reason]").fill("journey test")
    shots(admin, "admin-moderation")
    admin.get_by_role("button", name="Run").or_(admin.locator("button[name=index]")).first.click()
    admin.wait_for_selector(".messagelist")
    admin.goto(site + "/templates?q=card")
    assert admin.locator(".tpl-card h3").all_inner_texts() == ["loopwind/quote-card"]
    assert admin_console.problems() == []
    assert admin.goto(site + "/loopwind/og-card").status == 404
    staff.close()
