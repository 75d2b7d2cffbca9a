"""The worker's upkeep of custom domains (discovered by django-dramatiq, imported by DomainsConfig)."""

import dramatiq

from domains import schedule, services


@dramatiq.actor(actor_name=schedule.RECHECK_DOMAINS, queue_name="maintenance", max_retries=3)
def recheck_domains() -> None:
    """Hourly while any domain is verified: each is looked up again once a day; one whose TXT
    record disappeared (or whose CNAME moved away) turns failed and stops serving."""
    services.domains_recheck_due()
    if services.domains_to_recheck_exist():
        schedule.recheck_schedule(again=True)
