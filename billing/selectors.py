from billing.models import Usage
from billing.plans import plan_limits
from billing.services import month_start, next_month_start
from templates_registry.models import Template


def usage_summary(*, user) -> dict:
    """This month's counts against the plan's limits, and when they reset."""
    plan = plan_limits(user)
    counts = dict(Usage.objects.filter(user=user, month=month_start()).values_list("type", "count"))
    templates = Template.objects.filter(owner=user, unpublished_at=None).count()
    return {
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
        "templates": {"used": templates, "limit": plan.max_templates},
    }
