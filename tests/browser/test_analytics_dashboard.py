"""The API analytics dashboard in a real browser (issue 16, item 7): after real API traffic (renders,
cache hits, errors with two keys) the page shows its counts, charts it as SVG that axe-core finds
nothing serious or critical on in light and dark, fits a 390 px phone without sideways scrolling,
and loads nothing its CSP refuses. Screenshots: dashboard-analytics(-dark, -mobile).png.

The requests are real (the Django test client through every middleware); to chart an hour rather
than one bar, the collector's clock is set back a few minutes before each round, as if the rounds had
been made over the last hour (the counting and the rollups run unchanged)."""

import time as real_time
from types import SimpleNamespace

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.browser.axe import axe_violations
from tests.browser.conftest import Console

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/dashboard/analytics"
# (minutes ago, renders of new titles, cache hits, 404s) per round: a busy spell with failures
ROUNDS = [(55, 1, 2, 0), (48, 0, 4, 0), (41, 1, 3, 1), (33, 0, 6, 0), (27, 2, 8, 2), (24, 0, 5, 1),
          (18, 1, 3, 0), (12, 0, 7, 0), (6, 1, 4, 3), (2, 0, 2, 0)]  # fmt: skip


def counted_at(monkeypatch, moment: float) -> None:
    """The collector counts what follows at ``moment`` (one instant per round, so a round never
    straddles two minutes)."""
    from analytics import collector as collector_module

    monkeypatch.setattr(collector_module, "time", SimpleNamespace(time=lambda: moment))


def make_traffic(account, monkeypatch) -> dict:
    """ROUNDS of renders, cache hits and 404s with a production and a staging key; the counts made."""
    from accounts.services import api_key_create
    from analytics.collector import collector
    from analytics.services import analytics_flush
    from tests.conftest import bearer

    keys = [
        bearer(APIClient(), api_key_create(user=account, name=name)[1]) for name in ("production", "staging")
    ]
    slug = f"{account.username}/og-card"
    made = {"requests": 0, "errors": 0, "renders": 0}
    title, started = 0, real_time.time()
    for number, (minutes_ago, renders, hits, missing) in enumerate(ROUNDS):
        counted_at(monkeypatch, started - minutes_ago * 60)
        api = keys[number % 2]
        for _ in range(renders):
            title += 1
            response = api.post(
                "/api/render", {"template": slug, "props": {"title": f"Card {title}"}}, format="json"
            )
            assert response.status_code == 200
        for hit in range(hits):
            response = api.post("/api/render", {"template": slug, "props": {"title": f"Card {hit % title + 1}"}},
                                format="json")  # fmt: skip
            assert response.status_code == 200
        for _ in range(missing):
            assert (
                api.post("/api/render", {"template": f"{account.username}/gone"}, format="json").status_code
                == 404
            )
        made["requests"] += renders + hits + missing
        made["errors"] += missing
        made["renders"] += renders
        collector.flush()
    monkeypatch.undo()
    analytics_flush()
    return made


def signed_in_context(browser, site, person, **options):
    client = Client()
    client.force_login(person)
    context = browser.new_context(**options)
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"}]
    )
    return context


@pytest.fixture
def maya(site):
    from accounts.models import User
    from billing.services import plan_set
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    person = User.objects.create_user("maya@example.com", "maya", None, name="Maya")
    plan_set(user=person, code="business")
    person.refresh_from_db()
    template_publish(user=person, files=example_files("og-card"))
    return person


def test_analytics_dashboard_charts_real_traffic_light_dark_and_phone(
    site, maya, browser, shots, monkeypatch
):
    made = make_traffic(maya, monkeypatch)
    problems = {}

    context = signed_in_context(browser, site, maya, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    console = Console(page)
    page.goto(site + "/dashboard")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="API analytics").click()
    page.wait_for_url(site + PAGE)
    page.get_by_role("navigation", name="Period").get_by_role("link", name="Last hour").click()
    page.wait_for_url(site + PAGE + "?period=1h")
    assert page.get_by_role("heading", level=1).inner_text() == "API analytics"
    for total in ("requests", "renders"):
        assert page.locator(f'dd[data-total="{total}"]').inner_text() == str(made[total])
    assert page.locator('dd[data-total="errors"]').inner_text().startswith(str(made["errors"]))
    traffic = page.get_by_role("img", name="Requests and errors, last hour")
    assert traffic.is_visible() and traffic.bounding_box()["width"] > 1000
    # one bar per round with traffic, a red one per round with errors
    assert page.locator('#chart-traffic g[data-series="Requests"] rect').count() == len(ROUNDS)
    assert page.locator('#chart-traffic g[data-series="Errors"] rect').count() == sum(
        1 for r in ROUNDS if r[3]
    )
    assert page.get_by_role("img", name="Latency, last hour").is_visible()
    assert page.locator("[data-top=key] tbody tr").count() == 2
    assert page.locator("[data-top=template]").get_by_text("maya/og-card").is_visible()
    assert page.locator(".error-log tbody tr").count() == made["errors"]
    problems["light"] = axe_violations(page)
    shots(page, "dashboard-analytics", full_page=True)
    page.locator("#chart-traffic").locator("xpath=..").get_by_text("Data table").click()
    assert page.locator("details.chart-data[open] tbody tr").count() == 60
    page.goto(site + PAGE + "?period=24h")
    assert page.locator('dd[data-total="requests"]').inner_text() == str(made["requests"])
    problems["light, 24 h"] = axe_violations(page)
    assert console.problems() == []
    context.close()

    dark = signed_in_context(
        browser, site, maya, viewport={"width": 1280, "height": 900}, color_scheme="dark"
    )
    page = dark.new_page()
    page.goto(site + PAGE + "?period=1h")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"
    problems["dark"] = axe_violations(page)
    shots(page, "dashboard-analytics-dark", full_page=True)
    dark.close()

    phone = signed_in_context(browser, site, maya, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(site + PAGE + "?period=1h")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391)
        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    box = page.get_by_role("img", name="Requests and errors, last hour").bounding_box()
    assert 300 <= box["width"] <= 390
    font = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#chart-traffic .chart-label')).fontSize)"
    )
    assert font >= 12  # the labels keep their size on a phone
    problems["mobile"] = axe_violations(page)
    shots(page, "dashboard-analytics-mobile", full_page=True)
    phone.close()
    assert problems == {"light": [], "light, 24 h": [], "dark": [], "mobile": []}


def test_a_new_account_sees_how_traffic_will_show_up(site, browser, shots):
    from accounts.models import User

    newcomer = User.objects.create_user("new@example.com", "newcomer", None)
    for scheme in ("light", "dark"):
        context = signed_in_context(
            browser, site, newcomer, color_scheme=scheme, viewport={"width": 1280, "height": 900}
        )
        page = context.new_page()
        page.goto(site + PAGE)
        empty = page.locator("#analytics-empty")
        assert "No API traffic in the last 7 days" in empty.inner_text()
        assert empty.get_by_role("link", name="API key").is_visible()
        assert page.locator("#upgrade-note").get_by_role("link", name="The Business plan").is_visible()
        assert axe_violations(page) == [], scheme
        if scheme == "light":
            shots(page, "dashboard-analytics-empty", full_page=True)
        context.close()
