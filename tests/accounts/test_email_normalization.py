"""One normal form for emails (NFKC + case folding) everywhere: Unicode look-alikes (``ſ`` for
``s``, ``ı`` for ``i``) neither escape the per-account sign-in lockout nor make a second account."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.normalize import email_normalize
from tests.conftest import PASSWORD, assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def login(email: str, password: str):
    return APIClient().post("/api/auth/login", {"email": email, "password": password}, format="json")


def test_normal_form():
    assert email_normalize(" Jeſſe@Example.COM ") == "jesse@example.com"
    assert email_normalize("ＪＥＳＳＥ@example.com") == "jesse@example.com"  # fullwidth


def test_long_s_failures_count_against_the_same_account(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/15m"
    UserFactory(email="jesse@example.com", password=PASSWORD)
    for variant in [
        "jeſſe@example.com",
        "JEſſE@example.com",
        "jeſse@example.com",
        "jesſe@example.com",
        "Jeſſe@Example.com",
    ]:
        assert_error(login(variant, "wrong password"), 401, "invalid_credentials")
    # Five failures under five spellings lock the one account, for every spelling.
    assert_error(login("jesse@example.com", PASSWORD), 429, "too_many_login_attempts")
    assert_error(login("jeſſe@example.com", PASSWORD), 429, "too_many_login_attempts")


def test_dotless_i_cannot_sign_in_past_the_lockout(settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = "5/15m"
    UserFactory(email="dimitri@example.com", password=PASSWORD)
    for _ in range(5):
        login("dimitri@example.com", "wrong password")
    assert_error(login("dimitri@example.com", PASSWORD), 429, "too_many_login_attempts")
    # PostgreSQL's case-insensitive match took "dımitri" for "dimitri" while the lockout did not.
    assert login("dımitri@example.com", PASSWORD).status_code != 200
    assert login("DIMITRI@example.com", PASSWORD).status_code == 429


@pytest.mark.parametrize("look_alike", ["jeſſe@example.com", "JESSE@EXAMPLE.COM", "JEſſE@example.com"])
def test_sign_up_with_a_look_alike_of_an_existing_email_is_refused(look_alike):
    UserFactory(email="jesse@example.com", password=PASSWORD)
    response = APIClient().post(
        "/api/auth/register", {"email": look_alike, "password": "another fine passphrase 1"}, format="json"
    )
    assert_error(response, 409, "email_taken")
    assert User.objects.count() == 1


def test_emails_are_stored_normalised_whoever_writes_them():
    user = UserFactory(email="Jeſſe@Example.COM")
    user.refresh_from_db()
    assert user.email == "jesse@example.com"


def test_the_admin_refuses_a_look_alike_of_an_existing_email():
    from accounts.admin import LoopwindUserCreationForm

    UserFactory(email="jesse@example.com")
    form = LoopwindUserCreationForm(
        {
            "email": "Jeſſe@example.com",
            "username": "jesse-two",
            "password1": "x9!long pass",
            "password2": "x9!long pass",
        }
    )
    assert not form.is_valid() and "email" in form.errors
