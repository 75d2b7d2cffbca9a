import pytest
from django.test import Client

from accounts.models import User
from templates_registry.services import template_publish
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files


@pytest.fixture
def official(db):
    """The official account with the two image examples, like `make run`'s demo data."""
    owner = User.objects.create_user(
        "official@loopwind.dev", "loopwind", None, name="loopwind", plan="business"
    )
    templates = {name: template_publish(user=owner, files=example_files(name)).template
                 for name in ("og-card", "quote-card")}  # fmt: skip
    return owner, templates


@pytest.fixture
def member(db):
    return UserFactory(password=PASSWORD)


@pytest.fixture
def member_client(member):
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def csrf_client(member):
    """A signed-in client that, like a browser, must send the CSRF token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


@pytest.fixture
def staff(db):
    return UserFactory(password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client
