"""POST/GET/DELETE /api/domains and verify against a local DNS server: every refusal has its code,
every failed verification says why."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from domains.models import Domain
from tests.conftest import assert_error
from tests.domains.conftest import TARGET, api_for, person

pytestmark = pytest.mark.django_db


def add(client, name: str):
    return client.post("/api/domains", {"domain": name}, format="json")


def test_add_answers_with_the_dns_records(biz_api, biz):
    response = add(biz_api, "og.example.com")
    assert response.status_code == 201, response.content
    body = response.json()
    row = Domain.objects.get(account=biz)
    assert body["id"] == row.public_id and body["id"].startswith("dom_")
    assert body["domain"] == "og.example.com" and body["status"] == "pending"
    assert body["records"] == [
        {"type": "CNAME", "name": "og.example.com", "value": TARGET},
        {"type": "TXT", "name": "_loopwind-challenge.og.example.com", "value": row.challenge_token},
    ]
    assert len(row.challenge_token) > 30
    assert biz_api.get("/api/domains").json() == [body]


def test_names_are_kept_lower_case_without_the_trailing_dot(biz_api):
    assert add(biz_api, "OG.Example.COM.").json()["domain"] == "og.example.com"


def test_an_idna_name_is_accepted(biz_api):
    assert add(biz_api, "og.xn--bcher-kva.example").status_code == 201


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("loopwind.test", "domain_reserved"),  # our own site's apex
        ("og.loopwind.test", "domain_reserved"),  # and anything under it
        ("cname.loopwind.test", "domain_reserved"),  # the CNAME target
        ("x.localhost", "domain_reserved"),
        ("203.0.113.7", "domain_ip_literal"),
        ("2001:db8::1", "domain_ip_literal"),
        ("[2001:db8::1]", "domain_ip_literal"),
        ("localhostish", "domain_no_dot"),
        ("*.example.com", "domain_wildcard"),
        ("og.*.example.com", "domain_wildcard"),
        ("bücher.example", "domain_not_idna"),
        ("og.xn--zz.example", "domain_invalid"),  # not valid punycode
        ("a" * 64 + ".example.com", "domain_too_long"),
        (".".join(["a" * 63] * 4), "domain_too_long"),  # 255 characters, each label fine
        ("https://og.example.com", "domain_invalid"),
        ("og.example.com/i", "domain_invalid"),
        ("og.example.com:8443", "domain_invalid"),
        ("-og.example.com", "domain_invalid"),
        ("og_1.example.com", "domain_invalid"),
        ("og..example.com", "domain_invalid"),
        ("og.example.123", "domain_invalid"),
        ("", "validation_error"),
    ],
)
def test_refused_names(biz_api, name, code):
    assert_error(add(biz_api, name), 400, code)
    assert not Domain.objects.exists()


def test_a_unicode_name_is_refused_with_its_idna_form(biz_api):
    error = assert_error(add(biz_api, "og.bücher.example"), 400, "domain_not_idna")
    assert error["details"] == {"idna": "og.xn--bcher-kva.example"}
    assert "og.xn--bcher-kva.example" in error["message"]


@pytest.mark.parametrize("plan", ["free", "pro"])
def test_free_and_pro_have_no_custom_domains(db, plan):
    user = person(f"user-{plan}", plan=plan)
    error = assert_error(add(api_for(user), "og.example.com"), 403, "plan_limit")
    assert error["details"]["customDomains"] == 0
    assert not Domain.objects.exists()


def test_business_has_five(biz_api, biz):
    for n in range(5):
        assert add(biz_api, f"og{n}.example.com").status_code == 201
    error = assert_error(add(biz_api, "og5.example.com"), 403, "plan_limit")
    assert error["details"] == {"customDomains": 5, "used": 5, "plan": "business"}
    assert Domain.objects.filter(account=biz).count() == 5


def test_the_same_name_twice(biz_api):
    assert add(biz_api, "og.example.com").status_code == 201
    assert_error(add(biz_api, "og.example.com"), 409, "domain_exists")


def test_a_name_another_account_verified_is_409(biz_api, db):
    from tests.domains.conftest import verified_domain

    verified_domain(person("rival"), "og.example.com")
    assert_error(add(biz_api, "og.example.com"), 409, "domain_taken")


def test_a_pending_claim_does_not_block_the_real_owner(biz_api, local_dns, db):
    """Anyone may claim a name; only the account that creates its TXT record verifies it."""
    squatter = api_for(person("squatter"))
    assert add(squatter, "og.example.com").status_code == 201
    mine = add(biz_api, "og.example.com").json()
    row = Domain.objects.get(public_id=mine["id"])
    local_dns.publish(row, target=TARGET)
    assert biz_api.post(f"/api/domains/{row.public_id}/verify").json()["status"] == "verified"
    theirs = Domain.objects.exclude(pk=row.pk).get()
    answer = squatter.post(f"/api/domains/{theirs.public_id}/verify").json()
    assert answer["status"] == "failed" and answer["failureReason"] == "txt_wrong"


def test_verify_turns_verified(biz_api, local_dns):
    created = add(biz_api, "og.example.com").json()
    row = Domain.objects.get()
    local_dns.publish(row, target=TARGET)
    response = biz_api.post(f"/api/domains/{created['id']}/verify")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "verified" and body["failureReason"] == "" and body["verifiedAt"]
    row.refresh_from_db()
    assert row.status == "verified" and row.verified_at and row.last_checked_at


def test_verify_by_name_too(biz_api, local_dns):
    add(biz_api, "og.example.com")
    local_dns.publish(Domain.objects.get(), target=TARGET)
    assert biz_api.post("/api/domains/og.example.com/verify").json()["status"] == "verified"


@pytest.mark.parametrize(
    ("records", "reason", "says"),
    [
        ({"cname": True, "txt": None}, "txt_missing", "No TXT record at _loopwind-challenge.og.example.com"),
        ({"cname": True, "txt": "someone-elses-token"}, "txt_wrong", "'someone-elses-token'"),
        ({"cname": "elsewhere.example.net", "txt": True}, "cname_wrong", "CNAME to elsewhere.example.net"),
        ({"cname": None, "txt": True}, "cname_missing", "No CNAME record at og.example.com"),
        ({"cname": None, "txt": None}, "nxdomain", "does not exist"),
    ],
)
def test_verify_failures_say_why(biz_api, local_dns, records, reason, says):
    created = add(biz_api, "og.example.com").json()
    row = Domain.objects.get()
    if records["cname"]:
        local_dns.set(row.domain, "CNAME", TARGET if records["cname"] is True else records["cname"])
    if records["txt"]:
        local_dns.set(
            row.challenge_name, "TXT", row.challenge_token if records["txt"] is True else records["txt"]
        )
    body = biz_api.post(f"/api/domains/{created['id']}/verify").json()
    assert body["status"] == "failed" and body["failureReason"] == reason, body
    assert says in body["failureMessage"], body["failureMessage"]
    assert Domain.objects.get().status == "failed"


def test_an_a_record_instead_of_a_cname(biz_api, local_dns):
    add(biz_api, "og.example.com")
    row = Domain.objects.get()
    local_dns.set(row.domain, "A", "203.0.113.7")  # the name exists; no CNAME
    local_dns.set(row.challenge_name, "TXT", row.challenge_token)
    body = biz_api.post(f"/api/domains/{row.public_id}/verify").json()
    assert body["failureReason"] == "cname_missing" and "make it a CNAME" in body["failureMessage"]


def test_a_dns_timeout_says_so(biz_api, silent_dns):
    created = add(biz_api, "og.example.com").json()
    body = biz_api.post(f"/api/domains/{created['id']}/verify").json()
    assert body["status"] == "failed" and body["failureReason"] == "dns_timeout", body


def test_failed_then_fixed(biz_api, local_dns):
    created = add(biz_api, "og.example.com").json()
    assert biz_api.post(f"/api/domains/{created['id']}/verify").json()["status"] == "failed"
    local_dns.publish(Domain.objects.get(), target=TARGET)
    assert biz_api.post(f"/api/domains/{created['id']}/verify").json()["status"] == "verified"


def test_verify_is_spaced_out(biz_api, local_dns, settings):
    settings.DOMAIN_VERIFY_INTERVAL = 10
    created = add(biz_api, "og.example.com").json()
    assert biz_api.post(f"/api/domains/{created['id']}/verify").status_code == 200
    response = biz_api.post(f"/api/domains/{created['id']}/verify")
    assert_error(response, 429, "verify_too_soon")
    assert response["Retry-After"] == "10"


def test_delete(biz_api):
    created = add(biz_api, "og.example.com").json()
    assert biz_api.delete(f"/api/domains/{created['id']}").status_code == 204
    assert not Domain.objects.exists()
    assert_error(biz_api.delete(f"/api/domains/{created['id']}"), 404, "domain_not_found")


def test_another_accounts_domain_is_404(biz_api, db):
    other = api_for(person("other"))
    created = add(other, "og.example.com").json()
    assert_error(biz_api.delete(f"/api/domains/{created['id']}"), 404, "domain_not_found")
    assert_error(biz_api.post(f"/api/domains/{created['id']}/verify"), 404, "domain_not_found")
    assert biz_api.get("/api/domains").json() == []
    assert Domain.objects.count() == 1


def test_signed_out_is_401(api):
    assert_error(api.get("/api/domains"), 401)
    assert_error(add(api, "og.example.com"), 401)


def test_an_api_key_needs_keys_manage_to_add(biz):
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    _, raw = api_key_create(user=biz, name="ci", scopes=["render:read", "render:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/domains").status_code == 200
    assert_error(add(client, "og.example.com"), 403, "insufficient_scope")


def test_an_org_audits_its_domains(local_dns, team):
    admin = api_for(team.bob, account="acme")
    created = add(admin, "og.acme.example").json()
    local_dns.publish(Domain.objects.get(), target=TARGET)
    admin.post(f"/api/domains/{created['id']}/verify")
    admin.delete(f"/api/domains/{created['id']}")
    events = list(
        AuditEvent.objects.filter(org=team.org).order_by("pk").values_list("action", "actor__username")
    )
    assert [e for e in events if e[0].startswith("domain.")] == [
        ("domain.added", "bob"),
        ("domain.verified", "bob"),
        ("domain.removed", "bob"),
    ]
