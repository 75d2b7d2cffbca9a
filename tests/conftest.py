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
def _no_analytics_flush_thread(settings):
    """The API analytics' counts stay in this process until a test flushes them
    (analytics.collector): no background thread sends to Redis behind a test's back. Its name sorts
    after _fresh_cache on purpose: pytest sets up autouse fixtures by name, and a ``settings`` set up
    before _fresh_cache would be restored after its clear(), which then reached a test's dead cache."""
    from analytics.collector import collector

    settings.ANALYTICS_FLUSH_SECONDS = 0
    collector.take()
    yield
    collector.take()


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Most tests make more calls a minute than a free plan allows; the rate-limit tests switch
    limits back on (tests/billing/test_rate_limits.py)."""
    settings.RATE_LIMITS_ENABLED = False


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


@pytest.fixture(scope="session")
def moto_s3_endpoint(tmp_path_factory):
    """A real S3-compatible HTTP server (moto in server mode) in its own process."""
    from tests.servers import MotoServer

    server = MotoServer(tmp_path_factory.mktemp("moto"))
    server.start()
    yield server.url
    server.stop()


def switch_to_s3(settings, endpoint: str):
    """Make S3 at ``endpoint`` the default storage, in a fresh bucket; returns (client, bucket)."""
    import uuid

    import boto3

    bucket = f"loopwind-test-{uuid.uuid4().hex[:12]}"
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 24 * 3600,
        "file_overwrite": False,
        "signature_version": "s3v4",
    }
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    client.create_bucket(Bucket=bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }
    return client, bucket


@pytest.fixture
def s3_storage(moto_s3_endpoint, settings):
    """Switch the default storage to S3 on the moto server, with a fresh bucket."""
    return switch_to_s3(settings, moto_s3_endpoint)
