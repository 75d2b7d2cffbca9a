from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.selectors import user_get_by_username
from billing.services import plan_set
from core.errors import ApiError


class Command(BaseCommand):
    help = (
        "Put an account — a person's username or an organization's slug — on a plan (free, pro, business), "
        "for operators without the admin. --days makes it a trial that ends on its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="a username or an organization's slug")
        parser.add_argument("plan")
        parser.add_argument(
            "--days", type=int, default=None, help="a trial: back to Free after this many days"
        )

    def handle(self, *args, username, plan, days, **options):
        account = user_get_by_username(username=username)
        if account is None:
            raise CommandError(f"No user or organization {username!r}.")
        if days is not None and days <= 0:
            raise CommandError("--days must be a positive number of days.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            plan_set(user=account, code=plan, expires_at=expires_at)
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        until = f" until {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
        self.stdout.write(self.style.SUCCESS(f"{account.username} is now on {plan}{until}."))
