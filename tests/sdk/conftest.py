import pytest

from templates_registry.services import template_publish
from tests.cli.helpers import api_key, register
from tests.templates_registry.helpers import example_files


@pytest.fixture
def account(live_server, settings):
    """A Pro user with og-card and promo-video published and an API key with every scope."""
    settings.SITE_URL = live_server.url
    from accounts.models import User

    body = register(live_server.url, "sdk@example.com", plan="pro")
    user = User.objects.get(email="sdk@example.com")
    for name in ("og-card", "promo-video"):
        template_publish(user=user, files=example_files(name))
    return {
        **body,
        "url": live_server.url,
        "key": api_key(live_server.url, body["token"])["key"],
        "user": user,
    }
