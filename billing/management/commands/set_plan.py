from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import user_get_by_username
from billing.services import plan_set
from core.errors import ApiError


class Command(BaseCommand):
    help = "Put a user on a plan (free, pro, business), for operators without the admin."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("plan")

    def handle(self, *args, username, plan, **options):
        user = user_get_by_username(username=username)
        if user is None:
            raise CommandError(f"No user {username!r}.")
        try:
            plan_set(user=user, code=plan)
        except ApiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{user.username} is now on {plan}."))
