import pytest

from templates_registry.services import template_publish
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files


@pytest.fixture
def published(db, user):
    """The two image examples, published by ``user``."""
    return {
        name: template_publish(user=user, files=example_files(name)).template
        for name in ("og-card", "quote-card")
    }


@pytest.fixture
def published_video(db, user):
    return template_publish(user=user, files=example_files("promo-video")).template


@pytest.fixture
def private_template(db):
    owner = UserFactory(plan="pro")
    result = template_publish(user=owner, files=example_files("og-card"), name="secret-card", private=True)
    return result.template
