"""A verified custom domain serves its account's signed image URLs and nothing else; other hosts
are refused as before (Django's ALLOWED_HOSTS)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from domains.models import Domain
from domains.services import domain_remove
from templates_registry.services import template_publish
from tests.conftest import assert_error
from tests.domains.conftest import api_for, person, verified_domain
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db
HOST = "og.example.com"


def sign(client, template: str, **extra):
    return client.post(
        "/api/render/sign", {"template": template, "props": {"title": "Hi"}, **extra}, format="json"
    )


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def rival(db):
    user = person("rival")
    template_publish(user=user, files=example_files("og-card"))
    return user


def test_sign_on_the_domain_and_load_it_there(client, biz, biz_api, biz_template):
    verified_domain(biz, HOST)
    response = sign(biz_api, "brand/og-card", domain=HOST)
    assert response.status_code == 200, response.content
    url = response.json()["url"]
    assert url.startswith(f"https://{HOST}/i/brand/og-card.png?")
    image = client.get(local(url), HTTP_HOST=HOST)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    # the same signed path loads on the site's own host too (the signature covers the path)
    assert client.get(local(url), HTTP_HOST="loopwind.test").status_code == 200


def test_another_accounts_image_on_the_domain_is_404(client, biz, biz_template, rival):
    verified_domain(biz, HOST)
    theirs = sign(api_for(rival), "rival/og-card").json()["url"]
    assert client.get(local(theirs), HTTP_HOST="loopwind.test").status_code == 200
    assert_error(client.get(local(theirs), HTTP_HOST=HOST), 404, "not_found")


def test_someone_elses_url_for_the_accounts_template_is_404(client, biz, biz_template, rival):
    """A URL another account signed for brand's public template (?u=rival) is not brand's."""
    verified_domain(biz, HOST)
    url = sign(api_for(rival), "brand/og-card").json()["url"]
    assert "u=rival" in url
    assert_error(client.get(local(url), HTTP_HOST=HOST), 404, "not_found")


@pytest.mark.parametrize(
    "path",
    ["/", "/api/domains", "/api/templates", "/admin/", "/admin/login/", "/login", "/healthz", "/files/abc",
     "/brand", "/brand/og-card", "/internal/tls-ask?domain=og.example.com", "/static/x.css", "/i/brand"],
)  # fmt: skip
def test_every_other_path_is_404(client, biz, path):
    verified_domain(biz, HOST)
    response = client.get(path, HTTP_HOST=HOST)
    assert_error(response, 404, "not_found")
    assert "Set-Cookie" not in response.headers


def test_a_post_to_the_api_on_the_domain_is_404(client, biz):
    verified_domain(biz, HOST)
    assert_error(client.post("/api/auth/login", {"email": "a", "password": "b"}, HTTP_HOST=HOST), 404)


def test_the_port_does_not_matter(client, biz, biz_api, biz_template):
    verified_domain(biz, HOST)
    url = sign(biz_api, "brand/og-card", domain=HOST).json()["url"]
    assert client.get(local(url), HTTP_HOST=f"{HOST}:8443").status_code == 200


@pytest.mark.parametrize("status", ["pending", "failed"])
def test_a_domain_not_verified_is_an_unknown_host(client, biz, biz_api, biz_template, status):
    Domain.objects.create(account=biz, domain=HOST, status=status)
    url = sign(biz_api, "brand/og-card").json()["url"]
    assert client.get(local(url), HTTP_HOST=HOST).status_code == 400  # DisallowedHost, as before


def test_unknown_hosts_are_still_refused(client, biz, biz_api, biz_template):
    url = sign(biz_api, "brand/og-card").json()["url"]
    assert client.get(local(url), HTTP_HOST="evil.example.net").status_code == 400
    assert client.get("/login", HTTP_HOST="evil.example.net").status_code == 400


def test_removing_the_domain_stops_it_at_once(client, biz, biz_api, biz_template):
    domain = verified_domain(biz, HOST)
    url = sign(biz_api, "brand/og-card", domain=HOST).json()["url"]
    assert client.get(local(url), HTTP_HOST=HOST).status_code == 200  # now cached as brand's
    domain_remove(account=biz, domain_id=domain.public_id)
    assert client.get(local(url), HTTP_HOST=HOST).status_code == 400


def test_a_host_answer_is_cached(client, biz, django_assert_max_num_queries):
    verified_domain(biz, HOST)
    client.get("/", HTTP_HOST=HOST)
    client.get("/", HTTP_HOST="unknown.example.net")
    with django_assert_max_num_queries(0):
        assert client.get("/", HTTP_HOST=HOST).status_code == 404
    with django_assert_max_num_queries(0):
        assert client.get("/", HTTP_HOST="unknown.example.net").status_code == 400  # a negative entry


# --- signing on a domain ---


def test_sign_with_a_domain_not_verified_is_400(biz, biz_api, biz_template):
    Domain.objects.create(account=biz, domain=HOST)
    assert_error(sign(biz_api, "brand/og-card", domain=HOST), 400, "domain_not_verified")


def test_sign_with_someone_elses_domain_is_400(biz_api, biz_template, rival):
    verified_domain(rival, HOST)
    assert_error(sign(biz_api, "brand/og-card", domain=HOST), 400, "unknown_domain")


def test_sign_another_accounts_template_on_my_domain_is_400(biz, biz_api, rival):
    verified_domain(biz, HOST)
    assert_error(sign(biz_api, "rival/og-card", domain=HOST), 400, "domain_template_mismatch")


def test_an_org_signs_on_its_domain(client, team):
    template_publish(user=team.org, files=example_files("og-card"))
    verified_domain(team.org, "og.acme.example")
    url = sign(api_for(team.carol, account="acme"), "acme/og-card", domain="og.acme.example").json()["url"]
    assert url.startswith("https://og.acme.example/i/acme/og-card.png?")
    assert client.get(local(url), HTTP_HOST="og.acme.example").status_code == 200


def test_a_suspended_account_stops_serving_at_once(client, biz, biz_api, biz_template):
    from accounts.moderation import user_suspend

    verified_domain(biz, HOST)
    url = sign(biz_api, "brand/og-card", domain=HOST).json()["url"]
    assert client.get(local(url), HTTP_HOST=HOST).status_code == 200
    user_suspend(actor=None, user=biz)
    assert client.get(local(url), HTTP_HOST=HOST).status_code == 400  # the name is nobody's now


def test_a_deleted_org_stops_serving_at_once(client, team):
    from orgs.services import org_delete

    verified_domain(team.org, "og.acme.example")
    assert client.get("/", HTTP_HOST="og.acme.example").status_code == 404  # served: ours
    org_delete(org=team.org, actor=team.alice)
    assert client.get("/", HTTP_HOST="og.acme.example").status_code == 400
