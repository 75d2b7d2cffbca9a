"""IDOR matrix: owner, other user and anonymous caller × every object endpoint.

Private things are 404 for everyone but their owner (never 403: that would confirm they exist);
a public template of someone else is visible but not writable (403); endpoints that need a caller
are 401 for anonymous ones. One test per actor walks every endpoint (writes that destroy come last),
so the objects are made once per actor, and a failure lists every cell that disagrees.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from accounts.services import tokens_for_user
from tests.conftest import bearer

pytestmark = pytest.mark.django_db

OK = "ok"  # any 2xx


# (method, path, body, owner, other, anonymous); the expected outcomes are OK or a status.
MATRIX = [
    ("GET", "/api/templates/{u}/{priv}", None, OK, 404, 404),
    ("GET", "/api/templates/{u}/{priv}/versions", None, OK, 404, 404),
    ("GET", "/api/templates/{u}/{priv}/download", None, OK, 404, 404),
    ("PATCH", "/api/templates/{u}/{priv}", {"description": "mine"}, OK, 404, 401),
    ("PATCH", "/api/templates/{u}/{priv}/versions/{v}", {"deprecated": "old"}, OK, 404, 401),
    ("POST", "/api/templates/{u}/{priv}/star", None, OK, 404, 401),
    ("DELETE", "/api/templates/{u}/{priv}/star", None, OK, 404, 401),
    ("PATCH", "/api/templates/{u}/{pub}", {"description": "mine"}, OK, 403, 401),
    ("PATCH", "/api/templates/{u}/{pub}/versions/1.0.0", {"deprecated": "old"}, OK, 403, 401),
    ("POST", "/api/render", {"template": "{u}/{priv}", "props": {"title": "x"}}, OK, 404, 401),
    ("POST", "/api/render/sign", {"template": "{u}/{priv}", "props": {"title": "x"}}, OK, 404, 401),
    (
        "POST",
        "/api/render/async",
        {"template": "{u}/{priv}", "props": {"title": "x"}, "format": "png"},
        OK,
        404,
        401,
    ),
    ("GET", "/api/render/{job}", None, OK, 404, 401),
    ("GET", "/api/render/{job}/events", None, OK, 404, 401),
    ("GET", "/api/render/batch/{batch}", None, OK, 404, 401),
    ("GET", "/api/render/batch/{batch}/events", None, OK, 404, 401),
    ("GET", "/api/render/batch/{batch}/zip", None, OK, 404, 401),
    ("GET", "/api/render/batch/{batch}/manifest.csv", None, OK, 404, 401),
    ("POST", "/api/render/batch/{batch}/cancel", None, 409, 404, 401),  # the owner may, but it has completed
    ("POST", "/api/webhooks/deliveries/{delivery}/redeliver", None, OK, 404, 401),
    ("GET", "/api/keys", None, OK, OK, 401),
    ("GET", "/api/webhooks/deliveries", None, OK, OK, 401),
    ("GET", "/api/webhooks/secret", None, OK, OK, 401),
    ("GET", "/api/me/templates", None, OK, OK, 401),
    # destructive last
    ("DELETE", "/api/render/{job}", None, 409, 404, 401),  # the owner may cancel, but it has completed
    ("DELETE", "/api/keys/{key}", None, OK, 404, 401),
    ("DELETE", "/api/templates/{u}/{pub}", None, OK, 403, 401),
    ("DELETE", "/api/templates/{u}/{priv}", None, OK, 404, 401),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _client(actor, user, other_user):
    if actor == "anonymous":
        return APIClient()
    return bearer(APIClient(), tokens_for_user(user if actor == "owner" else other_user)["token"])


def _request(client, method, path, body):
    call = getattr(client, method.lower())
    return call(path) if body is None else call(path, body, format="json")


@pytest.mark.parametrize("actor", ["owner", "other", "anonymous"])
def test_idor_matrix(actor, objects, user, other_user):
    client = _client(actor, user, other_user)
    column = {"owner": 3, "other": 4, "anonymous": 5}[actor]
    wrong = []
    for row in MATRIX:
        method, path, body = row[0], _fill(row[1], objects), _fill(row[2], objects)
        expected = row[column]
        response = _request(client, method, path, body)
        status = response.status_code
        good = 200 <= status < 300 if expected == OK else status == expected
        if good and expected != OK:
            body_json = response.json()
            good = set(body_json) == {"error"}  # the error JSON, nothing of the object
        if not good:
            wrong.append((method, path, expected, status, response.content[:160]))
    assert not wrong, "\n".join(map(str, wrong))


def test_lists_never_show_other_peoples_objects(objects, user, other_user):
    other = _client("other", user, other_user)
    keys = other.get("/api/keys").json()
    assert objects["key"] not in {k["id"] for k in keys}
    assert other.get("/api/webhooks/deliveries").json() == []
    assert objects["priv"] not in {t["name"] for t in other.get("/api/me/templates").json()}
    profile = other.get(f"/api/users/{objects['u']}").json()
    assert objects["priv"] not in str(profile)
    listing = other.get("/api/templates", {"q": "secret"}).json()
    assert objects["priv"] not in {t["name"] for t in listing["templates"]}
    anon = APIClient().get(f"/api/users/{objects['u']}").json()
    assert objects["priv"] not in str(anon)


def test_job_output_urls_are_capabilities(objects, user, other_user):
    """The output URL works for whoever holds it (like an S3 presigned URL), for a limited time, and
    its token cannot be edited to name another file."""
    owner = _client("owner", user, other_user)
    status = owner.get(f"/api/render/{objects['job']}").json()
    url = urlsplit(status["outputUrl"])
    anon = APIClient()
    assert anon.get(url.path).status_code == 200
    token = url.path.rsplit("/", 1)[1]
    assert anon.get(url.path[: -len(token)] + token[:-2] + "xx").status_code == 404
    assert anon.get("/files/" + token.replace(":", "a", 1)).status_code == 404
    assert other_user_sees_no_url(objects, user, other_user)


def other_user_sees_no_url(objects, user, other_user) -> bool:
    response = _client("other", user, other_user).get(f"/api/render/{objects['job']}")
    return response.status_code == 404 and "outputUrl" not in response.content.decode()


def test_expired_output_url_is_404(objects, user, other_user, monkeypatch):
    import time

    status = _client("owner", user, other_user).get(f"/api/render/{objects['job']}").json()
    path = urlsplit(status["outputUrl"]).path
    later = time.time() + 3 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert APIClient().get(path).status_code == 404


def test_website_pages_hide_private_things(objects, user, other_user):
    """The marketplace's pages follow the API: another person's private template, key or delivery is a 404."""
    from django.test import Client

    from accounts.models import ApiKey

    other = Client()
    other.force_login(other_user)
    anonymous = Client()
    for client in (other, anonymous):
        assert client.get(f"/{objects['u']}/{objects['priv']}").status_code == 404
        assert objects["priv"] not in client.get(f"/{objects['u']}").content.decode()
        assert client.post(f"/{objects['u']}/{objects['priv']}/star").status_code in (302, 404)
        assert client.post(f"/{objects['u']}/{objects['priv']}/try", {"title": "x"}).status_code in (302, 404)
    # a form post: back to the keys page with an error message, and the key untouched
    assert other.post(f"/dashboard/keys/{objects['key']}/revoke").status_code in (302, 404)
    assert ApiKey.objects.get(public_id=objects["key"]).revoked_at is None
    assert other.post(f"/dashboard/webhooks/{objects['delivery']}/redeliver").status_code == 404
    owner = Client()
    owner.force_login(user)
    assert owner.get(f"/{objects['u']}/{objects['priv']}").status_code == 200
