from django.core.management.base import BaseCommand

from rendering.maintenance import outputs_cleanup


class Command(BaseCommand):
    help = "Delete expired render outputs and idempotency keys (the worker also does this hourly)."

    def handle(self, *args, **options):
        counts = outputs_cleanup()
        self.stdout.write(
            f"Deleted {counts['outputs']} expired job outputs, {counts['renders']} cached renders past "
            f"RENDER_CACHE_TTL and {counts['idempotencyKeys']} idempotency keys."
        )
