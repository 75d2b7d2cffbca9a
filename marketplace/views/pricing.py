"""/pricing: the plans as their rows say (billing's Plan, editable in the admin), a comparison, a FAQ,
and the way to each plan: sign-up for visitors, Stripe Checkout (the dashboard's checkout view, the
same service as POST /api/billing/checkout) for signed-in users."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import stripe_billing
from billing.models import Plan
from billing.plans import plan_limits
from marketplace import selectors


@dataclass
class Row:
    label: str
    values: list[str]  # one per plan; "✓" and "—" read as yes and no
    note: str = ""


def _count(n: int | None, unit: str = "") -> str:
    return "Unlimited" if n is None else f"{n:,}{unit}"


def _yes(value: bool) -> str:
    return "✓" if value else "—"


def comparison(plans: list[Plan]) -> list[Row]:
    top = plans[-1].code if plans else ""
    soon = ["Coming soon" if plan.code == top else "—" for plan in plans]
    return [
        Row(
            "Image renders a month",
            [_count(p.image_renders_per_month) for p in plans],
            "cached repeats are free",
        ),
        Row("Video renders a month", [_count(p.video_renders_per_month) for p in plans]),
        Row("Longest video", [f"{p.max_video_seconds} s" for p in plans]),
        Row("API requests a minute", [_count(p.requests_per_minute) for p in plans]),
        Row("Published templates", [_count(p.max_templates) for p in plans]),
        Row("Private templates", [_yes(p.private_templates) for p in plans]),
        Row("Signed webhooks", [_yes(p.webhooks) for p in plans]),
        Row("Priority rendering queue", [_yes(p.priority_rendering) for p in plans]),
        Row("Time per image render", [f"{p.render_time_limit} s" for p in plans]),
        Row("Teams and shared accounts", soon),
        Row("Custom domains for image URLs", soon),
        Row("Render analytics", soon),
    ]


@require_GET
def pricing(request):
    plans = selectors.pricing_plans()
    current = plan_limits(request.user).code if request.user.is_authenticated else None
    return render(
        request,
        "marketplace/pricing.html",
        {
            "plans": plans,
            "rows": comparison(plans),
            "current": current,
            "free": next((p for p in plans if p.price_cents == 0), None),
            "billing_enabled": stripe_billing.billing_enabled(),
            "support_email": settings.SUPPORT_EMAIL,
        },
    )
