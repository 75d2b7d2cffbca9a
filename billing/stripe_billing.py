"""Stripe: Checkout to subscribe, the Billing Portal to manage, signed webhooks to follow.

Webhooks are verified with the stripe library (300 s tolerance), processed once per event
id, and never trusted for state: each one makes us read the subscription as Stripe has it
now, so events arriving late or out of order cannot roll a plan back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts import audit
from accounts.events import account_changed
from accounts.models import User
from billing.errors import BillingDisabled, InvalidStripeSignature, StripeUnavailable
from billing.models import Plan, StripeEvent, Subscription
from billing.plans import plan_limits, plans_by_code
from core.errors import ApiError, Conflict

logger = logging.getLogger(__name__)
ACTIVE_STATUSES = {"active", "trialing", "past_due"}  # past_due: Stripe is still retrying the payment
HANDLED_EVENTS = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.payment_failed",
}


def billing_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def _client():
    if not billing_enabled():
        raise BillingDisabled()
    base = settings.STRIPE_API_BASE or stripe.DEFAULT_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses={"api": base}, max_network_retries=2
    ).v1


def _call(fn, *args, **kwargs) -> dict:
    """A Stripe call, as plain data; Stripe being unreachable or refusing is a 503, not a 500."""
    try:
        return fn(*args, **kwargs).to_dict()
    except stripe.StripeError as exc:
        logger.warning("Stripe call failed: %s", exc)
        raise StripeUnavailable(details={"stripe": getattr(exc, "code", None) or type(exc).__name__}) from exc


def _paid_plan(code: str) -> Plan:
    plan = plans_by_code().get(code)
    if plan is None or plan.price_cents == 0 or not plan.stripe_price_id:
        paid = [p.code for p in plans_by_code().values() if p.price_cents and p.stripe_price_id]
        raise ApiError(f"Unknown plan {code!r}; choose one of {', '.join(paid)}.", code="unknown_plan",
                       details={"plans": paid})  # fmt: skip
    return plan


def _customer_for(user: User, client) -> Subscription:
    row = Subscription.objects.filter(user=user).first()
    if row is not None:
        return row
    customer = _call(
        client.customers.create,
        params={
            **({"email": user.email} if user.email else {}),  # an organization has none
            "name": user.name or user.username,
            "metadata": {"user": user.public_id, "kind": user.kind},
        },
    )
    try:
        return Subscription.objects.create(user=user, stripe_customer_id=customer["id"])
    except IntegrityError:  # a concurrent checkout created it
        return Subscription.objects.get(user=user)


def checkout_session_create(*, user: User, plan_code: str) -> str:
    client = _client()
    plan = _paid_plan(plan_code)
    if plan_limits(user).code == plan.code:
        raise Conflict(f"You are already on {plan.name}.", code="already_on_plan")
    row = _customer_for(user, client)
    session = _call(
        client.checkout.sessions.create,
        params={
            "mode": "subscription",
            "customer": row.stripe_customer_id,
            "client_reference_id": user.public_id,
            "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
            "subscription_data": {"metadata": {"user": user.public_id, "plan": plan.code}},
            "success_url": f"{settings.SITE_URL}/dashboard/billing?checkout=success",
            "cancel_url": f"{settings.SITE_URL}/dashboard/billing?checkout=cancelled",
        },
    )
    return session["url"]


def portal_session_create(*, user: User) -> str:
    client = _client()
    row = Subscription.objects.filter(user=user).first()
    if row is None:
        raise ApiError(
            "You have no billing account yet; subscribe first.", code="no_billing_account", status=409
        )
    session = _call(
        client.billing_portal.sessions.create,
        params={"customer": row.stripe_customer_id, "return_url": f"{settings.SITE_URL}/dashboard/billing"},
    )
    return session["url"]


# --- webhooks --------------------------------------------------------------------------------


def webhook_process(*, payload: bytes, signature: str) -> dict:
    if not billing_enabled():
        raise BillingDisabled()
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
        )
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidStripeSignature() from exc
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(event_id=event.id, type=event.type)
        except IntegrityError:
            return {"received": True, "duplicate": True}
        if event.type in HANDLED_EVENTS:
            _handle(
                event.type, event.to_dict()["data"]["object"]
            )  # a failure rolls the record back: Stripe retries
    return {"received": True, "duplicate": False}


def _handle(event_type: str, obj: dict) -> None:
    client = _client()
    if event_type == "checkout.session.completed":
        user = User.objects.filter(public_id=obj.get("client_reference_id") or "").first()
        if user is not None and obj.get("customer"):
            Subscription.objects.update_or_create(user=user, defaults={"stripe_customer_id": obj["customer"]})
        if obj.get("subscription"):
            subscription_sync(client, obj["subscription"])
    elif event_type.startswith("customer.subscription."):
        subscription_sync(client, obj["id"])
    elif event_type == "invoice.payment_failed":
        from django.utils import timezone

        Subscription.objects.filter(stripe_customer_id=obj.get("customer") or "").update(
            payment_failed_at=timezone.now()
        )


def _price_id(subscription: dict) -> str:
    items = (subscription.get("items") or {}).get("data") or []
    if not items:
        return ""
    item = items[0]
    price = item.get("price") or item.get("plan") or {}  # localstripe and old accounts: plans
    return price.get("id", "")


@transaction.atomic
def subscription_sync(client, subscription_id: str) -> None:
    """Sets the user's plan from the subscription's current state in Stripe."""
    subscription = _call(client.subscriptions.retrieve, subscription_id)
    row = Subscription.objects.select_for_update().filter(stripe_customer_id=subscription["customer"]).first()
    if row is None:
        user = User.objects.filter(public_id=(subscription.get("metadata") or {}).get("user", "")).first()
        if user is None:
            logger.warning("subscription %s belongs to no known user", subscription_id)
            return
        row, _ = Subscription.objects.update_or_create(
            user=user, defaults={"stripe_customer_id": subscription["customer"]}
        )
    by_price = {plan.stripe_price_id: plan for plan in plans_by_code().values() if plan.stripe_price_id}
    plan = by_price.get(_price_id(subscription))
    active = subscription["status"] in ACTIVE_STATUSES and plan is not None
    if not active and row.stripe_subscription_id not in ("", subscription_id):
        return  # an old subscription ending must not end a newer one
    row.stripe_subscription_id = subscription_id
    row.status = subscription["status"]
    row.plan_code = plan.code if plan else ""
    period_end = subscription.get("current_period_end")
    row.current_period_end = datetime.fromtimestamp(period_end, UTC) if period_end else None
    row.save()
    # A downgrade changes only the plan: nothing is deleted or made public (see README).
    new_plan = plan.code if active else "free"
    account = User.objects.get(pk=row.user_id)
    User.objects.filter(pk=row.user_id).update(plan=new_plan, plan_expires_at=None)
    account_changed.send(sender=__name__, user_id=row.user_id)  # .update() sends no post_save
    if account.plan != new_plan:
        audit.record(account=account, actor=None, action="billing.changed", target=new_plan,
                     old=account.plan, status=subscription["status"])  # fmt: skip
