"""Playwright driving Debian's Chromium (/usr/bin/chromium, installed by `make test`) against
pytest-django's live_server. Screenshots go to $LOOPWIND_SCREENSHOTS when set (the committed
ones under bench/screenshots/ were taken with LOOPWIND_SCREENSHOTS=bench/screenshots)."""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests make
# around it are ordinary blocking calls, which Django otherwise refuses next to a running loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LOOPWIND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")  # closed after the browser tests: it keeps an event loop running
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (make test installs it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """Console errors of a page: a CSP violation shows up here as "Refused to …"."""

    def __init__(self, page):
        self.messages = []
        page.on("console", lambda message: self.messages.append(f"{message.type}: {message.text}"))
        page.on(
            "response",
            lambda r: (
                self.messages.append(f"Failed to load {r.url}: {r.status}") if r.status >= 400 else None
            ),
        )

    def problems(self):
        """CSP violations and resources that failed to load (stylesheets, scripts, images)."""
        return [
            m
            for m in self.messages
            if "Refused" in m
            or "Content Security Policy" in m
            or ("Failed to load" in m and "favicon" not in m)
        ]


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("LOOPWIND_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name, *, full_page=False):
        page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)

    return take


@pytest.fixture
def site(live_server, settings, transactional_db):
    """The official templates published, and links (previews, try-it results) pointing at the live server."""
    from accounts.models import User
    from templates_registry.models import Template
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    settings.SITE_URL = live_server.url
    # Plain static names, served by the live server from the source folders (a manifest left by an
    # earlier collectstatic would otherwise point pages at hashed names the live server does not have).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    owner = User.objects.create_user(
        "official@loopwind.dev", "loopwind", None, name="loopwind", plan="business"
    )
    for name in ("og-card", "quote-card"):
        template_publish(user=owner, files=example_files(name))
    Template.objects.filter(owner=owner, name="og-card").update(featured=True)
    return live_server.url
