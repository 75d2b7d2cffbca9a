"""Usernames that a route would shadow, or that pass for a reserved name at a glance, are refused."""

import pytest
from django.urls import get_resolver
from rest_framework.test import APIClient

from accounts.models import User
from accounts.normalize import username_skeleton
from accounts.usernames import _first_segments, reserved_usernames
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def register(username: str):
    return APIClient().post(
        "/api/auth/register",
        {"email": "someone@example.com", "password": "a fine long passphrase 1", "username": username},
        format="json",
    )


def test_every_top_level_route_is_reserved():
    segments = _first_segments(get_resolver().url_patterns)
    assert {"files", "api", "admin", "i", "device", "healthz", "metrics", "pricing", "signup"} <= segments
    assert segments <= reserved_usernames()


@pytest.mark.parametrize("username", ["files", "healthz", "metrics", "pricing", "account", "dashboard"])
def test_route_names_are_refused(username):
    assert_error(register(username), 400, "invalid_username")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "username", ["l00pwind", "LOOPWIND", "admín", "4dmin", "a-d-m-1-n", "5taff", "supp0rt", "l0g1n", "rn3"]
)
def test_look_alikes_of_reserved_names_are_refused(username):
    assert_error(register(username), 400, "invalid_username")
    assert not User.objects.exists()


@pytest.mark.parametrize("username", ["jane-doe", "lovelace", "ada", "loopwind-fan", "admins-r-us", "linda"])
def test_ordinary_names_are_accepted(username):
    assert register(username).status_code == 201


def test_skeleton():
    assert username_skeleton("L00P-wínd") == username_skeleton("loopwind")
