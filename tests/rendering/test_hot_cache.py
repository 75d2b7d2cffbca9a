"""Issue 14 (1): the rows a cache hit needs (API key → account, plan and scopes; template → owner,
visibility and versions; signer → secrets) are cached in Redis for every process, and each change
takes effect on every process at once. Each test warms the cache through gunicorn process A (whose
repeated signed /i/ hits are then answered from its own near copy, core.nearcache), changes the state
through the service, and asks process B, then A."""

import os
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings as django_settings

from accounts.moderation import user_suspend
from accounts.services import api_key_create, api_key_revoke
from billing.services import plan_set
from rendering.services import image_url_sign, signing_secret_rotate
from templates_registry.services import (
    template_publish,
    template_unpublish,
    template_update,
    version_status_set,
)
from tests.factories import UserFactory
from tests.rendering.worker import live_database_url
from tests.servers import WebServer
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory):
    return tmp_path_factory.mktemp("hot-media")


@pytest.fixture
def _media(shared_media, settings):
    """Overrides the per-test media folder: both servers live for the module and read this one."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(shared_media), "base_url": "/media/"},
        },
    }
    settings.MEDIA_ROOT = str(shared_media)
    return shared_media


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, shared_media, tmp_path_factory):
    with django_db_blocker.unblock():
        database_url = live_database_url()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": django_settings.REDIS_URL,
        "CACHE_KEY_PREFIX": django_settings.CACHES["default"].get("KEY_PREFIX", "lw"),
        "SECRET_KEY": django_settings.SECRET_KEY,
        "MEDIA_ROOT": str(shared_media),
        "RATE_LIMITS_ENABLED": "1",
        "RENDER_PROCESSES": "1",
    }
    workdir = tmp_path_factory.mktemp("hot-servers")
    started = [WebServer(workdir, env, workers=1, name=name) for name in ("a", "b")]
    for server in started:
        server.start()
    yield [server.url for server in started]
    for server in started:
        server.stop()


def render(base, key, template, **body):
    return requests.post(f"{base}/api/render", json={"template": template, "props": {"title": "Hot"}, **body},
                         headers={"Authorization": f"Bearer {key}"}, timeout=60)  # fmt: skip


def image(base, url):
    parts = urlsplit(url)
    return requests.get(f"{base}{parts.path}?{parts.query}", timeout=60)


def warm(base, url):
    """Rendered (or a hit already), then hits: by the last one the server answers from its own copy
    of the hit's read (core.nearcache; the entries' fills of the first request have been applied)."""
    assert image(base, url).status_code == 200
    for _ in range(3):
        assert image(base, url).headers["X-Render-Cache"] == "HIT"


@pytest.fixture
def author(_media):
    user = UserFactory(plan="pro")
    template = template_publish(user=user, files=example_files("og-card")).template
    return user, template


def test_unpublish(servers, author):
    a, b = servers
    user, template = author
    url = image_url_sign(signer=user, template=template, version="latest", props={"title": "Hot"}, fmt="png")
    warm(a, url)
    template_unpublish(template=template)
    assert image(b, url).status_code == 404 and image(a, url).status_code == 404


def test_make_private(servers, author):
    a, b = servers
    user, template = author
    other = UserFactory()
    key = api_key_create(user=other, name="other")[1]
    assert render(a, key, template.slug).status_code == 200
    template_update(template=template, user=user, private=True)
    assert (
        render(b, key, template.slug).status_code == 404 and render(a, key, template.slug).status_code == 404
    )


def test_yank(servers, author):
    a, b = servers
    user, template = author
    key = api_key_create(user=user, name="mine")[1]
    pinned = render(a, key, template.slug, version="1.0.0")
    assert pinned.status_code == 200 and "Deprecation" not in pinned.headers
    assert render(a, key, template.slug).status_code == 200  # latest
    urls = {v: image_url_sign(signer=user, template=template, version=v, props={"title": "Hot"}, fmt="png")
            for v in ("1.0.0", "latest")}  # fmt: skip
    for url in urls.values():
        warm(a, url)
    version_status_set(version=template.latest_version, yanked=True, reason="broken")
    for base in (b, a):
        pinned = render(base, key, template.slug, version="1.0.0")
        assert pinned.status_code == 200 and "yanked" in pinned.headers["X-Loopwind-Deprecation"]
        assert render(base, key, template.slug).status_code == 404  # no version left to be "latest"
        pinned = image(base, urls["1.0.0"])
        assert pinned.status_code == 200 and "yanked" in pinned.headers["X-Loopwind-Deprecation"]
        assert image(base, urls["latest"]).status_code == 404


def test_rotate_secret(servers, author):
    a, b = servers
    user, template = author
    url = image_url_sign(signer=user, template=template, version="latest", props={"title": "Hot"}, fmt="png")
    warm(a, url)
    signing_secret_rotate(user=user)
    assert image(b, url).status_code == 403 and image(a, url).status_code == 403
    user = type(user).objects.get(pk=user.pk)  # this process's instance still holds the old secret
    fresh = image_url_sign(
        signer=user, template=template, version="latest", props={"title": "Hot"}, fmt="png"
    )
    assert image(b, fresh).status_code == 200


def test_suspend(servers, author):
    a, b = servers
    user, template = author
    key = api_key_create(user=user, name="mine")[1]
    url = image_url_sign(signer=user, template=template, version="latest", props={"title": "Hot"}, fmt="png")
    assert render(a, key, template.slug).status_code == 200
    warm(a, url)
    user_suspend(actor=UserFactory(is_staff=True), user=user)
    for base in (b, a):
        assert render(base, key, template.slug).json()["error"]["code"] == "account_suspended"
        assert image(base, url).status_code == 403  # a suspended signer's URLs stop


def test_plan_change(servers, author):
    a, b = servers
    user, template = author
    key = api_key_create(user=user, name="mine")[1]
    assert render(a, key, template.slug).headers["X-RateLimit-Limit"] == "100"  # pro
    plan_set(user=user, code="free")
    assert render(b, key, template.slug).headers["X-RateLimit-Limit"] == "10"
    assert render(a, key, template.slug).headers["X-RateLimit-Limit"] == "10"


def test_key_revoke(servers, author):
    a, b = servers
    user, template = author
    created, key = api_key_create(user=user, name="mine")
    assert render(a, key, template.slug).status_code == 200
    api_key_revoke(user=user, key_id=created.public_id)
    for base in (b, a):
        assert render(base, key, template.slug).json()["error"]["code"] == "api_key_revoked"


def test_redis_unreachable_means_the_database(author, monkeypatch):
    """Fail towards the database: with Redis unreachable no entry is read or stored, so a key
    revoked meanwhile is refused (and renders otherwise still work)."""
    from rest_framework.test import APIClient

    from core import hotcache
    from tests.conftest import bearer

    user, template = author
    created, key = api_key_create(user=user, name="mine")
    client = bearer(APIClient(), key)
    body = {"template": template.slug, "props": {"title": "Down"}}
    assert client.post("/api/render", body, format="json").status_code == 200  # fills the entries

    class Unreachable:
        def register_script(self, source):
            def call(*args, **kwargs):
                raise ConnectionError("redis down")

            return call

        def __getattr__(self, name):
            raise ConnectionError("redis down")

    monkeypatch.setattr(hotcache, "_client", lambda: Unreachable())
    assert client.post("/api/render", body, format="json").status_code == 200
    api_key_revoke(user=user, key_id=created.public_id)
    assert client.post("/api/render", body, format="json").json()["error"]["code"] == "api_key_revoked"


def test_a_cached_key_records_its_use_without_asking_every_request(author, monkeypatch):
    """The once-a-minute last-use write also refreshes the cached key, so the requests after it
    read one entry and nothing else about the key (no marker round trip)."""
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from tests.conftest import bearer

    user, template = author
    key = api_key_create(user=user, name="mine")[1]
    client = bearer(APIClient(), key)
    assert client.get("/api/me").status_code == 200  # fills the entry, writes last use, refills
    calls = []
    real_add = cache.add
    monkeypatch.setattr(
        cache, "add", lambda *args, **kwargs: calls.append(args[0]) or real_add(*args, **kwargs)
    )
    for _ in range(3):
        assert client.get("/api/me").status_code == 200
    assert not [name for name in calls if name.startswith("key-used:")]
