"""Links in account emails come from SITE_URL, never from the request's Host header."""

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@override_settings(ALLOWED_HOSTS=["*"], SITE_URL="https://loopwind.example")
def test_reset_requested_with_a_hostile_host_links_to_site_url():
    user = UserFactory()
    response = Client().post("/account/password-reset", {"email": user.email}, HTTP_HOST="evil.example")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    links = re.findall(r"\w+://\S+", body)
    assert links, body
    assert all(link.startswith("https://loopwind.example/account/reset/") for link in links), links
    assert "evil.example" not in body + mail.outbox[0].subject
