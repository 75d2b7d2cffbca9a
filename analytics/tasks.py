"""The worker's side of the API analytics (discovered by django-dramatiq, imported by AnalyticsConfig)."""

import dramatiq

from analytics import schedule, services


@dramatiq.actor(actor_name=schedule.APPLY_ANALYTICS, queue_name="maintenance", max_retries=3)
def apply_analytics() -> None:
    """The web processes' flushed counts into the rollups, and the rollups past their plan's
    retention out."""
    services.analytics_flush()
