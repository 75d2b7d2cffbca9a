"""Usage metering and quotas. Counting is exact under concurrency: the quota check and the
increment are one conditional UPDATE."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import connection
from django.db.models import F
from django.utils import timezone

from accounts import audit
from accounts.events import account_changed
from billing.errors import PlanLimit, QuotaExceeded
from billing.models import Usage
from billing.plans import plan_get, plan_limits

Type = Usage.Type


def month_start(now: datetime | None = None) -> date:
    now = now or timezone.now()
    return now.date().replace(day=1)


def next_month_start(now: datetime | None = None) -> datetime:
    first = month_start(now)
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def quota_limit(user, usage_type: str) -> int | None:
    plan = plan_limits(user)
    if usage_type == Type.IMAGE_RENDER:
        return plan.image_renders_per_month
    if usage_type == Type.VIDEO_RENDER:
        return plan.video_renders_per_month
    return None


def quota_consume(*, user, usage_type: str) -> int:
    """Counts one unit, or raises 429 ``quota_exceeded`` (limit, usage, reset time) when the
    month's quota is spent. Returns the new count.

    One statement does the check and the count (an upsert whose update only applies under the
    limit), so concurrent requests can neither pass the quota nor lose a count, in one round trip
    on the hot path of every uncached render. PostgreSQL and SQLite (3.35+) share this syntax."""
    limit = quota_limit(user, usage_type)
    month = month_start()
    if limit is None or limit > 0:
        table = connection.ops.quote_name(Usage._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, type, month, count) VALUES (%s, %s, %s, 1) "  # noqa: S608
                f"ON CONFLICT (user_id, type, month) DO UPDATE SET count = {table}.count + 1 "
                f"WHERE {table}.count < %s RETURNING count",
                [user.pk, usage_type, month, limit if limit is not None else 2**31 - 1],
            )
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    reset = next_month_start()
    used = (
        Usage.objects.filter(user=user, type=usage_type, month=month).values_list("count", flat=True).first()
        or 0
    )
    what = "image renders" if usage_type == Type.IMAGE_RENDER else "video renders"
    raise QuotaExceeded(
        f"You have used all {limit} {what} of your plan this month. The quota resets on {reset:%Y-%m-%d}.",
        retry_after=int((reset - timezone.now()).total_seconds()),
        details={"limit": limit, "usage": used, "resetAt": reset.isoformat().replace("+00:00", "Z")},
    )


def quota_refund(*, user, usage_type: str) -> None:
    """Gives a unit back when the work it paid for failed."""
    Usage.objects.filter(user=user, type=usage_type, month=month_start(), count__gt=0).update(
        count=F("count") - 1
    )


def usage_record(*, user, usage_type: str, amount: int = 1, month: date | None = None) -> None:
    """Adds ``amount`` to this month's count (or ``month``'s: work recorded later, like the render
    log's CPU time), in one upsert (concurrent adds never lose one)."""
    if amount <= 0:
        return
    table = connection.ops.quote_name(Usage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, type, month, count) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (user_id, type, month) DO UPDATE SET count = {table}.count + EXCLUDED.count",
            [user.pk, usage_type, month or month_start(), amount],
        )


def private_templates_allowed_or_raise(user) -> None:
    plan = plan_limits(user)
    if not plan.private_templates:
        raise PlanLimit(
            f"Private templates need a paid plan; you are on {plan.name}.", details={"plan": plan.code}
        )


def template_count_allowed_or_raise(user, *, published: int) -> None:
    """Before a template is added to the ``published`` ones the user has."""
    plan = plan_limits(user)
    if plan.max_templates is not None and published >= plan.max_templates:
        raise PlanLimit(
            f"Your {plan.name} plan allows {plan.max_templates} published templates.",
            details={"limit": plan.max_templates, "published": published},
        )


def webhooks_allowed_or_raise(user) -> None:
    if not plan_limits(user).webhooks:
        raise PlanLimit("Webhooks need a paid plan.", details={"plan": plan_limits(user).code})


def video_length_allowed_or_raise(user, seconds: float) -> None:
    plan = plan_limits(user)
    if seconds > plan.max_video_seconds:
        raise PlanLimit(
            f"Your {plan.name} plan renders videos up to {plan.max_video_seconds} seconds.",
            details={"maxVideoSeconds": plan.max_video_seconds, "duration": seconds},
        )


def plan_set(*, user, code: str, expires_at=None, actor=None) -> None:
    """Puts the account on a plan, for good or (``expires_at``) until then: a trial the staff grant."""
    if plan_get(code) is None:
        raise PlanLimit(f"Unknown plan {code!r}.", code="unknown_plan", status=400)
    old = user.plan
    type(user).objects.filter(pk=user.pk).update(plan=code, plan_expires_at=expires_at)
    user.plan, user.plan_expires_at = code, expires_at
    account_changed.send(sender=__name__, user_id=user.pk)  # .update() sends no post_save
    audit.record(account=user, actor=actor, action="billing.changed", target=code, old=old,
                 until=expires_at.isoformat() if expires_at else None)  # fmt: skip


def batch_rows_allowed_or_raise(user, rows: int) -> None:
    """A batch of ``rows`` rows: plans without batches (max_batch_rows 0) and batches past the plan's
    size are a 403 ``plan_limit`` with the numbers."""
    plan = plan_limits(user)
    if not plan.max_batch_rows:
        raise PlanLimit(
            f"Batch renders need a Pro or Business plan; you are on {plan.name}.",
            details={"plan": plan.code, "maxBatchRows": 0},
        )
    if rows > plan.max_batch_rows:
        raise PlanLimit(
            f"Your {plan.name} plan renders batches of up to {plan.max_batch_rows} rows; this one has {rows}.",
            details={"plan": plan.code, "maxBatchRows": plan.max_batch_rows, "rows": rows},
        )


def quota_available_or_raise(*, user, usage_type: str, amount: int, reserved: int = 0) -> None:
    """Work that will consume ``amount`` units later (a batch, charged per rendered row): a 429
    ``quota_exceeded`` now when the month's remaining quota, less ``reserved`` (units promised to
    work already accepted), is smaller. Nothing is counted here."""
    limit = quota_limit(user, usage_type)
    if limit is None:
        return
    month = month_start()
    used = (
        Usage.objects.filter(user=user, type=usage_type, month=month).values_list("count", flat=True).first()
        or 0
    )
    remaining = max(0, limit - used - reserved)
    if amount <= remaining:
        return
    reset = next_month_start()
    raise QuotaExceeded(
        f"This needs {amount} renders and {remaining} remain of your plan's {limit} this month. "
        f"The quota resets on {reset:%Y-%m-%d}.",
        retry_after=int((reset - timezone.now()).total_seconds()),
        details={"limit": limit, "usage": used, "reserved": reserved, "remaining": remaining,
                 "requested": amount, "resetAt": reset.isoformat().replace("+00:00", "Z")},
    )  # fmt: skip
