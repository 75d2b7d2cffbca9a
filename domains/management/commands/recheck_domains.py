from django.core.management.base import BaseCommand

from domains.services import domains_recheck_due


class Command(BaseCommand):
    help = (
        "Look up again the verified custom domains not checked for DOMAIN_RECHECK_HOURS; those whose "
        "records are gone turn failed. The worker does this hourly; use it from cron without one."
    )

    def handle(self, *args, **options):
        counts = domains_recheck_due()
        self.stdout.write(f"checked {counts['checked']}, failed {counts['failed']}")
