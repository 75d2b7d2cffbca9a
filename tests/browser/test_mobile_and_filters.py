"""Issue 21, item 10 in a real browser: at 390×844 the template page shows "Try it" right after the
preview and before the code, the Copy buttons sit above their code instead of over its first line,
and the browse filters apply as soon as they change."""

import re

import pytest

from tests.browser.conftest import Console

pytestmark = pytest.mark.django_db(transaction=True)


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_mobile_template_page_puts_try_it_first(site, browser, shots):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    console = Console(page)
    page.set_default_timeout(20_000)
    page.goto(site + "/loopwind/og-card")
    preview, try_it, code = box(page, "#preview"), box(page, "section.try"), box(page, "section.snippets")
    assert preview["y"] < try_it["y"] < code["y"], (preview, try_it, code)
    assert try_it["width"] <= 390
    for block in ("code-curl", "code-cli", "code-sdk"):
        copy, pre = box(page, f".code > button.copy[data-copy={block}]"), box(page, f"#{block}")
        assert copy["y"] + copy["height"] <= pre["y"] + 1, (block, copy, pre)  # above, not over the code
    page.locator("section.try").scroll_into_view_if_needed()
    shots(page, "mobile-template-try-first")
    assert console.problems() == []
    context.close()


def test_desktop_template_page_keeps_two_columns(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(site + "/loopwind/og-card")
    preview, try_it = box(page, "#preview"), box(page, "section.try")
    assert try_it["x"] > preview["x"] + preview["width"] - 1  # beside the preview
    copy, pre = box(page, ".code > button.copy[data-copy=code-curl]"), box(page, "#code-curl")
    assert copy["y"] >= pre["y"]  # over the block's corner, as before
    context.close()


def test_filters_apply_on_change(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(site + "/templates")
    page.get_by_label("Sort").select_option("recent")
    page.wait_for_url(re.compile(r".*sort=recent.*"))
    assert page.get_by_role("button", name="Apply").is_visible()  # still there for no-JS
    context.close()
