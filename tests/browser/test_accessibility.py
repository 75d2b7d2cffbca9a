"""axe-core over every page a visitor meets (issue 21, item 5), signed out and signed in, light and
dark: no violation of impact "serious" or "critical"."""

import pytest
from django.test import Client

from tests.browser.axe import axe_violations
from tests.conftest import PASSWORD

PUBLIC = [
    "/",
    "/templates",
    "/templates?category=open-graph",
    "/loopwind/og-card",
    "/loopwind",
    "/pricing",
    "/login",
    "/signup",
    "/account/password-reset",
    "/docs",
    "/docs/analytics",
    "/status",
    "/api/docs",
    "/nobody-here",
]
SIGNED_IN = [
    "/dashboard",
    "/dashboard/keys",
    "/dashboard/billing",
    "/dashboard/webhooks",
    "/dashboard/renders",
    "/dashboard/analytics",
    "/dashboard/settings",
    "/dashboard/settings/delete",
    "/loopwind/og-card",
]


def signed_in_context(browser, site, **options):
    from accounts.models import User

    user = User.objects.create_user("axe@example.com", "axe", PASSWORD)
    client = Client()
    client.force_login(user)
    context = browser.new_context(**options)
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )
    return context


def check(context, site, paths, shots=None, tag=""):
    problems = {}
    page = context.new_page()
    for path in paths:
        page.goto(site + path)
        if path == "/api/docs":
            page.wait_for_selector(".opblock-tag", timeout=15000)
            if shots:
                shots(page, f"api-docs-{tag}")
        found = axe_violations(page)
        if found:
            problems[path] = found
    page.close()
    return problems


@pytest.mark.parametrize(
    ("scheme", "viewport"),
    [("light", {"width": 1280, "height": 860}), ("dark", {"width": 1280, "height": 860}),
     ("light", {"width": 390, "height": 844})],
    ids=["light", "dark", "mobile"],
)  # fmt: skip
def test_axe_finds_nothing_serious_on_any_page(site, browser, scheme, viewport, shots):
    context = browser.new_context(color_scheme=scheme, viewport=viewport)
    problems = check(context, site, PUBLIC, shots, f"{scheme}-{viewport['width']}")
    context.close()
    context = signed_in_context(browser, site, color_scheme=scheme, viewport=viewport)
    problems |= {f"{path} (signed in)": v for path, v in check(context, site, SIGNED_IN).items()}
    context.close()
    assert not problems, "\n".join(f"{path}: {line}" for path, lines in problems.items() for line in lines)


def test_axe_runs_and_reports(browser):
    """The check is not vacuous: a page with an unlabelled image and button fails it."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html lang="en"><body><main><img src="x.png"><button></button></main></body></html>')
    found = " ".join(axe_violations(page))
    assert "image-alt (critical)" in found and "button-name (critical)" in found
    context.close()
