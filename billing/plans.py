"""What a user's plan allows: the one place every app asks. The billing issue turns these
numbers into admin-editable data; callers keep calling ``plan_limits``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlanLimits:
    name: str
    max_templates: int | None  # None: unlimited
    private_templates: bool


_PLANS = {
    "free": PlanLimits("free", max_templates=5, private_templates=False),
    "pro": PlanLimits("pro", max_templates=None, private_templates=True),
    "business": PlanLimits("business", max_templates=None, private_templates=True),
}


def plan_limits(user) -> PlanLimits:
    return _PLANS.get(getattr(user, "plan", "free"), _PLANS["free"])
