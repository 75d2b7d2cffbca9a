"""The marketplace as a first-time visitor sees it (issue 19), in Chromium: home with its categories and
featured row → a category → a template → try it (the preview changes as they type, no button pressed)
→ pricing → sign up with the plan they picked. Screenshots: home, category, template, pricing."""

import re
import time

import pytest

from accounts.models import User
from billing.plans import plan_get, plans_reload
from tests.browser.conftest import Console
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# A marketplace with something on every shelf, quick to publish (images, and one short video).
GALLERY = [
    "blog-post", "docs-page", "product-launch", "github-repo", "changelog", "post-card", "instagram-square",
    "pricing-highlight", "testimonial", "meetup-speaker", "webinar-hebrew", "youtube-thumbnail",
    "news-headline-zh", "quote-arabic", "sale-banner-ja", "job-posting", "certificate", "kinetic-typography",
]  # fmt: skip
FEATURED = ["product-launch", "post-card", "certificate", "quote-arabic"]


@pytest.fixture
def gallery(site):
    from templates_registry.models import Template
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    owner = User.objects.get(username="loopwind")
    for name in GALLERY:
        template_publish(user=owner, files=example_files(name))
    Template.objects.filter(owner=owner).update(featured=False)
    Template.objects.filter(owner=owner, name__in=FEATURED).update(featured=True)
    return site


def test_first_visit_home_category_template_try_pricing_signup(gallery, browser, shots):
    site = gallery
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)

    # Home: every category with its count, and the featured row
    page.goto(site + "/")
    assert page.locator(".categories .category").count() == 10
    assert "Open Graph" in page.locator(".category.cat-open-graph").inner_text()
    featured = page.locator("section", has=page.get_by_role("heading", name="Featured")).locator(
        ".tpl-card h3"
    )
    assert sorted(featured.all_inner_texts()) == sorted(f"loopwind/{name}" for name in FEATURED)
    page.wait_for_function("() => [...document.querySelectorAll('.tpl-card img')].every(i => i.complete)")
    shots(page, "home", full_page=True)

    # A category
    page.locator(".category.cat-open-graph").click()
    page.wait_for_url(re.compile(r".*/templates\?category=open-graph"))
    names = page.locator(".tpl-card h3").all_inner_texts()
    assert set(names) == {
        "loopwind/og-card",
        "loopwind/blog-post",
        "loopwind/docs-page",
        "loopwind/product-launch",
    }
    assert page.locator(".chips a[aria-current=page]").inner_text().startswith("Open Graph")
    page.wait_for_function("() => [...document.querySelectorAll('.tpl-card img')].every(i => i.complete)")
    shots(page, "category", full_page=True)

    # A template: type, and the preview follows without pressing anything
    page.get_by_role("link", name="loopwind/blog-post").click()
    page.wait_for_url(site + "/loopwind/blog-post")
    before = page.locator("#try-preview").get_attribute("src")
    title = page.get_by_label("title", exact=True)
    title.fill("")
    title.type("Typed by a first-time visitor", delay=20)
    typed_at = time.monotonic()
    page.wait_for_function(
        "src => document.getElementById('try-preview').getAttribute('src') !== src", arg=before
    )
    waited = time.monotonic() - typed_at
    page.wait_for_function("() => document.getElementById('try-preview').complete")
    assert page.eval_on_selector("#try-preview", "img => img.naturalWidth") == 1200
    assert re.match(r"(Rendered|From the cache) in", page.locator("#try-status").inner_text())
    assert "Typed by a first-time visitor" in page.locator("#code-curl").inner_text()
    assert waited < 10, waited  # about 0.7 s here: the debounce and one render
    # the copy-as menu
    page.locator(".copy-as summary").click()
    page.locator(".copy-as .menu").get_by_role("button", name="curl").click()
    # the handler awaits the clipboard before it says "Copied": wait for it rather than race it
    page.locator(".copy-as .menu").get_by_role("button", name="Copied").wait_for(timeout=5_000)
    assert page.locator(".copy-as .menu").get_by_role("button", name="Copied").count() == 1
    page.locator(".copy-as summary").click()
    assert page.locator("details.file[open] summary").inner_text().startswith("template.html")
    assert page.locator("details.file[open] .hl .nt").count() > 5  # highlighted
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, "template")

    # Pricing, from the plan rows: the admin edits Pro (its row, or the built-in default saved as
    # one when an earlier test's flush left none)
    pro = plan_get("pro")
    pro.image_renders_per_month = 6000
    pro.save()
    plans_reload()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pricing").click()
    page.wait_for_url(site + "/pricing")
    assert page.locator(".plan").count() == 3
    assert "6,000 image renders a month" in page.locator("[data-plan=pro]").inner_text()
    assert "$19" in page.locator("[data-plan=pro] .price").inner_text()
    shots(page, "pricing", full_page=True)

    # Sign up with the plan picked
    page.locator("[data-plan=pro]").get_by_role("link", name="Start with Pro").click()
    page.wait_for_url(site + "/signup?plan=pro")
    assert "You picked Pro" in page.locator(".note").inner_text()
    page.get_by_label("Email").fill("visitor@example.com")
    page.get_by_label("Username").fill("visitor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(site + "/dashboard/billing?plan=pro")
    assert "You picked Pro" in page.locator(".alert").inner_text()
    assert User.objects.filter(username="visitor").exists()
    assert console.problems() == []
    context.close()
