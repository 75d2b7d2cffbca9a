import json
import socket
import subprocess
import sys
import time

import pytest
import requests
import stripe

WEBHOOK_SECRET = "whsec_test_secret_for_signing_0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url():
    """localstripe: a stateful Stripe-compatible server (customers, payment methods, plans,
    subscriptions) in its own process. It has no Checkout or Billing Portal; those calls are
    answered at the HTTP layer in the tests that need them."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(url + "/v1/customers", auth=("sk_test_x", ""), timeout=0.5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": url}).v1
        for code, amount in (("pro", 1900), ("business", 9900)):
            product = client.products.create(params={"name": code.title()})
            client.plans.create(
                params={"id": f"price_{code}", "amount": amount, "currency": "usd", "interval": "month",
                        "product": product.id}
            )  # fmt: skip
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def stripe_on(settings, localstripe_url, db):
    from billing.models import Plan
    from billing.plans import plans_reload

    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_url
    from billing.defaults import DEFAULT_PLANS

    # update_or_create: a transactional test before this one may have flushed the seeded rows
    for plan in DEFAULT_PLANS:
        if plan["code"] != "free":
            Plan.objects.update_or_create(
                code=plan["code"], defaults={**plan, "stripe_price_id": f"price_{plan['code']}"}
            )
    plans_reload()
    yield stripe.StripeClient("sk_test_x", base_addresses={"api": localstripe_url}).v1
    plans_reload()


def signed_event(event_type: str, obj: dict, *, event_id: str | None = None, timestamp: int | None = None):
    """A webhook body and Stripe-Signature header, signed by the real stripe library."""
    body = json.dumps(
        {"id": event_id or f"evt_{int(time.time() * 1e6)}", "object": "event", "type": event_type,
         "api_version": "2024-06-20", "created": int(time.time()), "data": {"object": obj}}
    )  # fmt: skip
    timestamp = timestamp or int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body}", WEBHOOK_SECRET)
    return body, f"t={timestamp},v1={signature}"


def post_event(client, event_type: str, obj: dict, **kwargs):
    body, header = signed_event(event_type, obj, **kwargs)
    return client.generic(
        "POST", "/api/billing/webhook", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def subscribe(stripe_client, customer_id: str, price: str, user_public_id: str) -> dict:
    """What Checkout does on Stripe's side: a card and a subscription for the customer."""
    pm = stripe_client.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030,
                                          "cvc": "123"}}
    )  # fmt: skip
    stripe_client.payment_methods.attach(pm.id, params={"customer": customer_id})
    stripe_client.customers.update(
        customer_id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    return stripe_client.subscriptions.create(
        params={"customer": customer_id, "items": [{"plan": price}], "metadata": {"user": user_public_id}}
    ).to_dict()
