"""/admin/login/ goes through the sign-in guard of the API and the site (one counter per account and
per IP), and a production start refuses while `make run`'s demo staff account has its demo password."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings
from rest_framework.test import APIClient

from marketplace.checks import demo_staff_account_check
from marketplace.demo import DEMO_STAFF_EMAIL, demo_staff_password
from tests.conftest import PASSWORD, assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PRODUCTION = {"DEBUG": False, "SITE_URL": "https://loopwind.dev"}


def admin_login(client: Client, email: str, password: str):
    return client.post(
        "/admin/login/?next=/admin/", {"username": email, "password": password, "next": "/admin/"}
    )


def test_wrong_admin_passwords_lock_the_admin_and_the_api_login(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/15m"
    staff = UserFactory(password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(5):
        response = admin_login(Client(), staff.email, "wrong password")
        assert response.status_code == 200 and "_auth_user_id" not in response.client.session

    client = Client()
    response = admin_login(client, staff.email, PASSWORD)  # the right password, now refused
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    api = APIClient().post("/api/auth/login", {"email": staff.email, "password": PASSWORD}, format="json")
    assert_error(api, 429, "too_many_login_attempts")


def test_api_failures_lock_the_admin_login(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "3/15m"
    staff = UserFactory(password=PASSWORD, is_staff=True, is_superuser=True)
    for _ in range(3):
        APIClient().post("/api/auth/login", {"email": staff.email, "password": "nope"}, format="json")
    client = Client()
    admin_login(client, staff.email, PASSWORD)
    assert "_auth_user_id" not in client.session


def test_admin_sign_in_still_works():
    staff = UserFactory(password=PASSWORD, is_staff=True, is_superuser=True)
    response = admin_login(client := Client(), staff.email, PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def demo_staff():
    return UserFactory(
        email=DEMO_STAFF_EMAIL,
        username="admin",
        password=demo_staff_password(),
        is_staff=True,
        is_superuser=True,
    )


@override_settings(**PRODUCTION)
def test_production_refuses_the_demo_staff_account_with_its_demo_password():
    staff = demo_staff()
    errors = demo_staff_account_check(databases=["default"])
    assert [error.id for error in errors] == ["marketplace.E001"]
    with pytest.raises(SystemCheckError, match="marketplace.E001"):
        call_command("check", "--database", "default")

    staff.set_password("a new and secret staff passphrase")
    staff.save()
    assert demo_staff_account_check(databases=["default"]) == []


def test_the_demo_staff_account_is_fine_locally():
    demo_staff()
    assert demo_staff_account_check(databases=["default"]) == []
