"""Stripe against localstripe (a Stripe-compatible server: customers, payment methods, plans,
subscriptions) with webhook payloads signed by the real stripe library. Checkout and the
Billing Portal, which localstripe lacks, are answered at the HTTP layer with the shapes of
Stripe's API reference (this machine cannot reach Stripe to record them)."""

import time

import pytest
import responses

from billing.models import StripeEvent, Subscription, Usage
from billing.services import month_start
from templates_registry.services import template_publish
from tests.billing.conftest import post_event, signed_event, subscribe
from tests.conftest import assert_error
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


def checkout_session() -> dict:
    return {
        "id": "cs_test_a1b2c3",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "open",
        "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
        "customer": None,
        "subscription": None,
    }


@pytest.fixture
def stripe_http(stripe_on, localstripe_url):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for resource in ("customers", "subscriptions", "payment_methods"):  # localstripe answers these
            mock.add_passthru(f"{localstripe_url}/v1/{resource}")
        mock.add(responses.POST, localstripe_url + "/v1/checkout/sessions", json=checkout_session())
        mock.add(
            responses.POST,
            localstripe_url + "/v1/billing_portal/sessions",
            json={"id": "bps_123", "object": "billing_portal.session",
                  "url": "https://billing.stripe.com/p/session/test_123"},
        )  # fmt: skip
        yield mock


def test_free_user_upgrades_to_pro_and_back(user_api, user, stripe_on, stripe_http, settings, api):
    template = template_publish(user=user, files=example_files("og-card")).template
    Usage.objects.create(user=user, type="image_render", month=month_start(), count=100)
    render = {"template": template.slug, "props": {"title": "after the upgrade"}}
    assert_error(user_api.post("/api/render", render, format="json"), 429, "quota_exceeded")

    response = user_api.post("/api/billing/checkout", {"plan": "pro"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["url"].startswith("https://checkout.stripe.com/")
    sent = [c for c in stripe_http.calls if "checkout/sessions" in c.request.url][0].request.body
    assert "price_pro" in sent and user.public_id in sent
    customer_id = Subscription.objects.get(user=user).stripe_customer_id
    assert customer_id.startswith("cus_")

    # Stripe's side of Checkout: the customer subscribes; then it tells us, signed.
    subscription = subscribe(stripe_on, customer_id, "price_pro", user.public_id)
    completed = {"id": "cs_test_a1b2c3", "object": "checkout.session", "client_reference_id": user.public_id,
                 "customer": customer_id, "subscription": subscription["id"]}  # fmt: skip
    assert post_event(api, "checkout.session.completed", completed).status_code == 200
    assert post_event(api, "customer.subscription.created", subscription).status_code == 200
    user.refresh_from_db()
    assert user.plan == "pro"
    row = Subscription.objects.get(user=user)
    assert row.stripe_subscription_id == subscription["id"] and row.status == "active"

    assert user_api.post("/api/render", render, format="json").status_code == 200
    private = template_publish(user=user, files=example_files("og-card"), name="private-card", private=True)
    assert private.template.private
    settings.RATE_LIMITS_ENABLED = True
    assert user_api.get("/api/me")["X-RateLimit-Limit"] == "100"

    portal = user_api.post("/api/billing/portal")
    assert portal.status_code == 200 and portal.json()["url"].startswith("https://billing.stripe.com/")
    assert_error(
        user_api.post("/api/billing/checkout", {"plan": "pro"}, format="json"), 409, "already_on_plan"
    )

    stripe_on.subscriptions.cancel(subscription["id"])
    assert post_event(api, "customer.subscription.deleted", subscription).status_code == 200
    user.refresh_from_db()
    assert user.plan == "free"
    # a downgrade deletes nothing
    private.template.refresh_from_db()
    assert private.template.private and private.template.unpublished_at is None


def test_out_of_order_events_read_the_current_state(user, stripe_on, api):
    from billing.stripe_billing import _client

    customer = _client().customers.create(params={"email": user.email}).id
    Subscription.objects.create(user=user, stripe_customer_id=customer)
    subscription = subscribe(stripe_on, customer, "price_business", user.public_id)
    stripe_on.subscriptions.cancel(subscription["id"])
    # "created" arrives after the subscription was already cancelled: the user stays free
    assert post_event(api, "customer.subscription.created", subscription).status_code == 200
    user.refresh_from_db()
    assert user.plan == "free"


def test_forged_and_stale_signatures_change_nothing(user, stripe_on, api):
    obj = {"id": "sub_x", "object": "subscription", "customer": "cus_x"}
    body, header = signed_event("customer.subscription.created", obj)
    forged = header.replace(header.split("v1=")[1], "0" * 64)
    response = api.generic("POST", "/api/billing/webhook", body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=forged)  # fmt: skip
    assert_error(response, 400, "invalid_signature")
    stale = post_event(api, "customer.subscription.created", obj, timestamp=int(time.time()) - 301)
    assert_error(stale, 400, "invalid_signature")
    missing = api.generic("POST", "/api/billing/webhook", body, content_type="application/json")
    assert_error(missing, 400, "invalid_signature")
    assert not StripeEvent.objects.exists()


def test_a_replayed_event_is_processed_once(user, stripe_on, api):
    from billing.stripe_billing import _client

    customer = _client().customers.create(params={"email": user.email}).id
    Subscription.objects.create(user=user, stripe_customer_id=customer)
    subscription = subscribe(stripe_on, customer, "price_pro", user.public_id)
    first = post_event(api, "customer.subscription.created", subscription, event_id="evt_replayed_1")
    again = post_event(api, "customer.subscription.created", subscription, event_id="evt_replayed_1")
    assert first.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    assert StripeEvent.objects.filter(event_id="evt_replayed_1").count() == 1


def test_payment_failed_is_recorded(user, stripe_on, api):
    Subscription.objects.create(user=user, stripe_customer_id="cus_failing")
    assert (
        post_event(api, "invoice.payment_failed", {"id": "in_1", "customer": "cus_failing"}).status_code
        == 200
    )
    assert Subscription.objects.get(user=user).payment_failed_at is not None


@pytest.mark.parametrize("plan", ["platinum", "free", "", "PRO"])
def test_unknown_or_free_plan_checkout(user_api, stripe_on, plan):
    response = user_api.post("/api/billing/checkout", {"plan": plan}, format="json")
    assert response.status_code == 400


def test_portal_without_a_billing_account(user_api, stripe_on):
    assert_error(user_api.post("/api/billing/portal"), 409, "no_billing_account")


def test_billing_disabled_without_stripe_keys(user_api, api, settings):
    settings.STRIPE_SECRET_KEY = ""
    assert_error(
        user_api.post("/api/billing/checkout", {"plan": "pro"}, format="json"), 503, "billing_disabled"
    )
    assert_error(user_api.post("/api/billing/portal"), 503, "billing_disabled")
    assert_error(api.post("/api/billing/webhook", {}, format="json"), 503, "billing_disabled")
    assert user_api.get("/api/me/usage").status_code == 200  # everything else works


def test_stripe_down_is_503(user_api, stripe_on, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens
    assert_error(
        user_api.post("/api/billing/checkout", {"plan": "pro"}, format="json"), 503, "stripe_unavailable"
    )


def test_render_only_keys_cannot_change_the_plan(api, user, stripe_on):
    from accounts.services import api_key_create

    _, raw = api_key_create(user=user, name="r", scopes=["render:write"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_error(api.post("/api/billing/checkout", {"plan": "pro"}, format="json"), 403, "insufficient_scope")


@pytest.mark.django_db(transaction=True)
def test_upgrade_and_downgrade_over_http(live_server, stripe_on, localstripe_url, settings):
    """The issue's flow end to end over real HTTP: quota spent → 429; signed checkout and
    subscription events → pro (renders, a private template, 100 requests a minute); deletion → free."""
    import requests

    from accounts.models import User

    settings.RATE_LIMITS_ENABLED = True
    base = live_server.url
    session = requests.post(f"{base}/api/auth/register", json={"email": "flow@example.com",
                            "password": "a long passphrase nobody guesses 7"}, timeout=10).json()  # fmt: skip
    user = User.objects.get(email="flow@example.com")
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {session['token']}"
    template_publish(user=user, files=example_files("og-card"))
    Usage.objects.create(user=user, type="image_render", month=month_start(), count=100)
    render = {"template": f"{user.username}/og-card", "props": {"title": "over http"}}
    spent = http.post(f"{base}/api/render", json=render, timeout=30)
    assert spent.status_code == 429 and spent.json()["error"]["code"] == "quota_exceeded"
    assert spent.headers["X-RateLimit-Limit"] == "10"

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(base)
        for resource in ("customers", "subscriptions", "payment_methods"):
            mock.add_passthru(f"{localstripe_url}/v1/{resource}")
        mock.add(responses.POST, f"{localstripe_url}/v1/checkout/sessions", json=checkout_session())
        checkout = http.post(f"{base}/api/billing/checkout", json={"plan": "pro"}, timeout=30)
        assert checkout.status_code == 200, checkout.text
        customer = Subscription.objects.get(user=user).stripe_customer_id
        subscription = subscribe(stripe_on, customer, "price_pro", user.public_id)

        def deliver(event_type, obj):
            body, header = signed_event(event_type, obj)
            response = requests.post(f"{base}/api/billing/webhook", data=body, timeout=30,
                                     headers={"Stripe-Signature": header, "Content-Type": "application/json"})  # fmt: skip
            assert response.status_code == 200, response.text

        deliver("checkout.session.completed", {"object": "checkout.session", "client_reference_id": user.public_id,
                                               "customer": customer, "subscription": subscription["id"]})  # fmt: skip
        deliver("customer.subscription.created", subscription)
        rendered = http.post(f"{base}/api/render", json=render, timeout=30)
        assert rendered.status_code == 200 and rendered.headers["X-RateLimit-Limit"] == "100"
        parts = [("files", (p, c)) for p, c in example_files("og-card").items()]
        private = http.post(f"{base}/api/templates/publish", files=parts,
                            data={"private": "true", "name": "private-card"}, timeout=60)  # fmt: skip
        assert private.status_code == 201, private.text

        stripe_on.subscriptions.cancel(subscription["id"])
        deliver("customer.subscription.deleted", subscription)
    assert http.get(f"{base}/api/me", timeout=10).json()["plan"] == "free"
    assert http.get(f"{base}/api/me/usage", timeout=10).headers["X-RateLimit-Limit"] == "10"


def test_an_org_subscribes_to_business_through_its_owner(stripe_on, stripe_http, api):
    """The plan is the organization's: its owner checks out acting for it (the account header), the
    Stripe customer is the org's (no email: an org has none), and the webhook moves the org, not
    the person, to Business; an admin may not touch billing."""
    from accounts.models import AuditEvent, Membership, Role, User
    from orgs.services import org_create
    from tests.orgs.conftest import client_for

    owner = User.objects.create(username="olive", email="olive@example.com")
    admin = User.objects.create(username="adam", email="adam@example.com")
    org = org_create(creator=owner, username="initech")
    Membership.objects.create(org=org, user=admin, role=Role.ADMIN)
    assert_error(client_for(admin, account="initech").post("/api/billing/checkout", {"plan": "business"},
                                                          format="json"), 403, "insufficient_role")  # fmt: skip
    response = client_for(owner, account="initech").post(
        "/api/billing/checkout", {"plan": "business"}, format="json"
    )
    assert response.status_code == 200, response.content
    row = Subscription.objects.get(user=org)
    assert not Subscription.objects.filter(user=owner).exists()
    subscription = subscribe(stripe_on, row.stripe_customer_id, "price_business", org.public_id)
    completed = {"id": "cs_test_a1b2c3", "object": "checkout.session", "client_reference_id": org.public_id,
                 "customer": row.stripe_customer_id, "subscription": subscription["id"]}  # fmt: skip
    assert post_event(api, "checkout.session.completed", completed).status_code == 200
    org.refresh_from_db()
    owner.refresh_from_db()
    assert (org.plan, owner.plan) == ("business", "free")
    assert client_for(owner).get("/api/orgs/initech").json()["seats"] == 10
    changed = AuditEvent.objects.get(org=org, action="billing.changed")
    assert (changed.target, changed.data["old"]) == ("business", "free")
    portal = client_for(owner, account="initech").post("/api/billing/portal")
    assert portal.status_code == 200
