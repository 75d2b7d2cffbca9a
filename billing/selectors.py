from billing.models import Usage
from billing.plans import plan_limits
from billing.services import month_start, next_month_start


def usage_summary(*, user, templates_published: int) -> dict:
    """This month's counts against the plan's limits, and when they reset. The registry, which
    owns templates, says how many are published (templates_registry.selectors.account_usage)."""
    plan = plan_limits(user)
    counts = dict(Usage.objects.filter(user=user, month=month_start()).values_list("type", "count"))
    return {
        "account": user.username,  # a person's, or the organization's the request acts for
        "plan": {
            "code": plan.code,
            "name": plan.name,
            "priceCents": plan.price_cents,
            "requestsPerMinute": plan.requests_per_minute,
            "privateTemplates": plan.private_templates,
            "webhooks": plan.webhooks,
            "priorityRendering": plan.priority_rendering,
            "maxVideoSeconds": plan.max_video_seconds,
        },
        "month": month_start().isoformat(),
        "resetAt": next_month_start().isoformat().replace("+00:00", "Z"),
        "imageRenders": {
            "used": counts.get(Usage.Type.IMAGE_RENDER, 0),
            "limit": plan.image_renders_per_month,
        },
        "videoRenders": {
            "used": counts.get(Usage.Type.VIDEO_RENDER, 0),
            "limit": plan.video_renders_per_month,
        },
        "publishes": {"used": counts.get(Usage.Type.PUBLISH, 0), "limit": None},
        # what the renderer spent for the account, failed and timed-out renders included
        "renderSeconds": {"used": round(counts.get(Usage.Type.RENDER_CPU_MS, 0) / 1000, 1), "limit": None},
        "templates": {"used": templates_published, "limit": plan.max_templates},
    }
