"""CSRF on the website's forms (sessions sign people in there; the API takes bearer tokens only).

The forms are found, not listed: every page below is fetched (signed in, and signed out for the
sign-in pages) and each ``<form method="post">`` on it is posted back twice with a CSRF-checking
client: without the token it must be Django's CSRF 403, and with the page's token it must get past
the check. A fixed list of known POST routes is also posted without a token (whether or not a page
links to them today), so a form the marketplace adds or moves later is still covered. Finally a
session cookie must not authenticate /api/ at all.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

SIGNED_OUT_PAGES = ["/login", "/signup", "/account/password-reset"]
SIGNED_IN_PAGES = [
    "/device",
    "/dashboard",
    "/dashboard/templates/og-card",
    "/dashboard/keys",
    "/dashboard/billing",
    "/dashboard/webhooks",
    "/dashboard/renders",
    "/{u}/og-card",
    "/{u}",
    "/templates",
    "/pricing",
    "/",
]
KNOWN_POSTS = [
    "/login",
    "/logout",
    "/signup",
    "/device",
    "/account/password-reset",
    "/dashboard/templates/og-card",
    "/dashboard/templates/og-card/deprecate",
    "/dashboard/templates/og-card/unpublish",
    "/dashboard/keys",
    "/dashboard/keys/{key}/revoke",
    "/dashboard/billing/checkout",
    "/dashboard/billing/portal",
    "/dashboard/webhooks/secret",
    "/dashboard/webhooks/signing-secret",
    "/dashboard/webhooks/{delivery}/redeliver",
    "/{u}/og-card/try",
    "/{u}/og-card/render-video",
    "/{u}/og-card/star",
]


class Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag in ("input", "textarea", "select", "button") and self.forms and attrs.get("name"):
            self.forms[-1]["fields"].setdefault(attrs["name"], attrs.get("value") or "")


def post_forms(client: Client, page: str) -> list[dict]:
    response = client.get(page)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    parser = Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        form["action"] = form["action"] or page
    return [f for f in parser.forms if f["action"].startswith("/")]


def is_csrf_failure(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


@pytest.fixture
def site(objects, user):
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(user)
    return signed_in


def _fill(path: str, objects) -> str:
    return path.format(u=objects["u"], key=objects["key"], delivery=objects["delivery"])


def test_every_post_form_needs_the_token(site, objects):
    from accounts.services import device_authorization_start

    grant, _ = device_authorization_start(client_name="csrf test")
    anonymous = Client(enforce_csrf_checks=True)
    pages = [(anonymous, p) for p in SIGNED_OUT_PAGES]
    pages += [(site, _fill(p, objects)) for p in SIGNED_IN_PAGES] + [
        (site, f"/device?code={grant.user_code}")
    ]
    # collect first: the posts below are refused, but a form posted with its token could sign out
    forms = [(client, page, form) for client, page in pages for form in post_forms(client, page)]
    for client, page, form in forms:
        without = {k: v for k, v in form["fields"].items() if k != "csrfmiddlewaretoken"}
        response = client.post(form["action"], without)
        assert is_csrf_failure(response), (page, form["action"], response.status_code)
        assert "csrfmiddlewaretoken" in form["fields"], (page, form["action"])
    found = {form["action"].split("?")[0] for _, _, form in forms}
    # the forms this suite was written against are still there to test
    assert {"/login", "/device", "/logout"} <= found, found
    # and the token the pages carry is accepted (a wrong password: the form again, not a CSRF 403)
    [login] = [form for client, page, form in forms if page == "/login"]
    response = anonymous.post("/login", {**login["fields"], "username": "a@example.com", "password": "nope"})
    assert response.status_code == 200 and not is_csrf_failure(response)


def test_known_post_routes_refuse_a_missing_token(site, objects):
    anonymous = Client(enforce_csrf_checks=True)
    for path in KNOWN_POSTS:
        url = _fill(path, objects)
        for client in (site, anonymous):
            response = client.post(url, {"action": "x", "name": "x", "code": "x", "email": "a@example.com"})
            # 404/405: the route is gone or takes no POST; anything else must be the CSRF failure
            assert response.status_code in (404, 405) or is_csrf_failure(response), (
                url,
                response.status_code,
            )


def test_login_and_device_forms_carry_the_token(site, objects):
    anonymous = Client(enforce_csrf_checks=True)
    assert re.search(rb'name="csrfmiddlewaretoken"', anonymous.get("/login").content)
    device = site.get("/device")
    assert device.status_code == 200
    assert re.search(rb'name="csrfmiddlewaretoken"', device.content)


def test_a_session_cookie_does_not_authenticate_the_api(site):
    assert site.get("/api/me").status_code == 401
    response = site.post("/api/keys", {"name": "via cookie"}, content_type="application/json")
    assert response.status_code == 401
