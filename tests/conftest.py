import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit and login-failure counters live in the cache (Redis in `make test`)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(tmp_path_factory, settings):
    """Each test stores files in its own folder (FileSystemStorage), never in var/media."""
    root = tmp_path_factory.mktemp("media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": "/media/"},
        },
    }
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory(password=PASSWORD)


@pytest.fixture
def other_user(db):
    return UserFactory(password=PASSWORD)


def bearer(client: APIClient, token: str) -> APIClient:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def user_api(user):
    """An API client signed in as ``user`` with a JWT access token."""
    from accounts.services import tokens_for_user

    return bearer(APIClient(), tokens_for_user(user)["token"])


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Every API error has the same JSON shape; returns the error object."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error
