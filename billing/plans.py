"""What a user's plan allows: the one place every app asks ("what may this user do").

Plans are rows (editable in the admin); each process keeps them for a few seconds so a hot
path (every API request's rate limit) does not query them every time."""

from __future__ import annotations

import threading
import time

from django.utils import timezone

from billing.defaults import DEFAULT_PLANS
from billing.models import Plan

_TTL = 30.0
_plans: dict[str, Plan] = {}
_loaded_at = 0.0
_lock = threading.Lock()


def plans_by_code() -> dict[str, Plan]:
    global _plans, _loaded_at
    with _lock:
        if time.monotonic() - _loaded_at > _TTL or not _plans:
            defaults = {plan["code"]: Plan(**plan) for plan in DEFAULT_PLANS}
            _plans = {**defaults, **{plan.code: plan for plan in Plan.objects.all()}}
            _loaded_at = time.monotonic()
        return _plans


def plans_reload() -> None:
    global _loaded_at
    with _lock:
        _loaded_at = 0.0


def plan_get(code: str) -> Plan | None:
    return plans_by_code().get(code)


def plan_limits(user) -> Plan:
    """The account's plan, or Free when the code names no plan (a plan deleted in the admin) or
    the plan was granted until a time that has passed (a staff trial)."""
    plans = plans_by_code()
    expires_at = getattr(user, "plan_expires_at", None)
    if expires_at is not None and expires_at <= timezone.now():
        return plans["free"]
    return plans.get(getattr(user, "plan", "free")) or plans["free"]
