from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from marketplace import checks  # noqa: F401  (system checks)
        from marketplace.stars import pending_star_apply

        user_logged_in.connect(pending_star_apply, dispatch_uid="marketplace-pending-star")
