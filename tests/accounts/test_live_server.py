"""The auth and key flows against a real HTTP server (pytest-django's live_server), not only
Django's test client; and proof that the database holds no password, key or refresh token."""

import pytest
import requests
from django.db import connection

PASSWORD = "a long passphrase nobody guesses 7"


@pytest.fixture
def http(live_server):
    session = requests.Session()
    session.base_url = live_server.url
    yield session
    session.close()


def call(http, method, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.request(method, http.base_url + path, headers=headers, timeout=10, **kwargs)


def test_register_login_refresh_logout_over_http(http):
    registered = call(
        http, "POST", "/api/auth/register", json={"email": "live@example.com", "password": PASSWORD}
    )
    assert registered.status_code == 201, registered.text
    session = call(
        http, "POST", "/api/auth/login", json={"email": "live@example.com", "password": PASSWORD}
    ).json()
    assert call(http, "GET", "/api/me", session["token"]).json()["email"] == "live@example.com"

    refreshed = call(http, "POST", "/api/auth/refresh", json={"refreshToken": session["refreshToken"]})
    assert refreshed.status_code == 200
    pair = refreshed.json()
    logout = call(
        http, "POST", "/api/auth/logout", pair["token"], json={"refreshToken": pair["refreshToken"]}
    )
    assert logout.status_code == 204
    again = call(http, "POST", "/api/auth/refresh", json={"refreshToken": pair["refreshToken"]})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_refresh_token"


def test_create_key_call_revoke_call_again_over_http(http):
    session = call(
        http, "POST", "/api/auth/register", json={"email": "keys@example.com", "password": PASSWORD}
    ).json()
    created = call(
        http, "POST", "/api/keys", session["token"], json={"name": "ci", "scopes": ["render:read"]}
    )
    assert created.status_code == 201
    key = created.json()
    assert call(http, "GET", "/api/me", key["key"]).status_code == 200
    assert call(http, "DELETE", f"/api/keys/{key['id']}", session["token"]).status_code == 204
    revoked = call(http, "GET", "/api/me", key["key"])
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "api_key_revoked"


@pytest.mark.django_db(transaction=True)
def test_database_holds_no_plaintext_password_key_or_refresh_token(http):
    session = call(
        http, "POST", "/api/auth/register", json={"email": "vault@example.com", "password": PASSWORD}
    ).json()
    key = call(http, "POST", "/api/keys", session["token"], json={"name": "secret"}).json()["key"]
    secrets = {"password": PASSWORD, "api key": key, "refresh token": session["refreshToken"]}

    dumped = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from introspection
            dumped.extend(repr(row) for row in cursor.fetchall())
    everything = "\n".join(dumped)
    assert "vault@example.com" in everything  # the dump does see the user's row
    for what, secret in secrets.items():
        assert secret not in everything, f"the {what} is stored in plain text"
        # nor any long piece of it
        assert secret[8:28] not in everything, f"part of the {what} is stored in plain text"
