"""Issue 18: the SDK's preflight methods against a live server, sync and async."""

import asyncio

import pytest

from loopwind import AsyncLoopwind, Loopwind
from loopwind.sdk.errors import BadRequest
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)
UNDRAWABLE = "\U00010000"


def test_lint_and_check(account):
    slug = f"{account['username']}/og-card"
    with Loopwind(api_key=account["key"], base_url=account["url"]) as lw:
        assert lw.templates.lint(example_files("og-card")) == []
        (warning,) = lw.check(slug, props={"title": f"Hi {UNDRAWABLE}"})
        assert warning["code"] == "missing_glyph" and warning["prop"] == "title"
        assert lw.check(slug, props={"title": "Hi"}) == []
        with pytest.raises(BadRequest):
            lw.check(slug, props={"nope": 1})

    async def run():
        async with AsyncLoopwind(api_key=account["key"], base_url=account["url"]) as lw:
            return await lw.templates.lint(example_files("og-card")), await lw.check(
                slug, props={"title": "Hi"}
            )

    assert asyncio.run(run()) == ([], [])
