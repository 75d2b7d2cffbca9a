from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from rendering.errors import QueueUnavailable
from rendering.maintenance import STALE_AFTER, jobs_requeue_stale


class Command(BaseCommand):
    help = (
        "Send again the jobs and webhook deliveries whose queue message was lost (for example after "
        "Redis restarted without its append-only file). The worker also does this hourly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=STALE_AFTER.total_seconds() / 60,
            help="minutes a job may wait in the queue before it counts as lost (default %(default)s)",
        )

    def handle(self, *args, **options):
        if options["older_than"] < 0:
            raise CommandError("--older-than is a number of minutes, 0 or more.")
        try:
            counts = jobs_requeue_stale(older_than=timedelta(minutes=options["older_than"]))
        except QueueUnavailable as exc:
            raise CommandError(f"{exc.message} Nothing was sent; run it again once Redis answers.") from exc
        self.stdout.write(
            f"Requeued {counts['jobs']} jobs and {counts['webhooks']} webhook deliveries; "
            f"{counts['stillQueued']} more are still in the broker's queue and were left there."
        )
