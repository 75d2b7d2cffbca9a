from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self):
        from marketplace import signals  # noqa: F401  (connects the receivers)
