"""With Redis (the cache) unreachable, the API keeps answering: sign-in, downloads, renders and
rate limits degrade instead of failing. (The queue's behaviour without Redis is a fault test.)"""

import pytest

from templates_registry.services import template_publish
from tests.conftest import PASSWORD
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db

DEAD_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_api_works_without_the_cache(api, user_api, user, settings):
    template_publish(user=user, files=example_files("og-card"))
    settings.RATE_LIMITS_ENABLED = True
    settings.CACHES = DEAD_CACHE
    login = api.post("/api/auth/login", {"email": user.email, "password": PASSWORD}, format="json")
    assert login.status_code == 200
    assert (
        api.post("/api/auth/login", {"email": user.email, "password": "wrong"}, format="json").status_code
        == 401
    )
    assert user_api.get(f"/api/templates/{user.username}/og-card/download").status_code == 200
    body = {"template": f"{user.username}/og-card", "props": {"title": "no cache"}}
    first = user_api.post("/api/render", body, format="json")
    assert first.status_code == 200 and first["X-Render-Cache"] == "MISS"
    assert user_api.get("/api/me").status_code == 200
