from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "API analytics"

    def ready(self):
        # Declares the flush actor in every process, so it can be sent to by name.
        from analytics import tasks  # noqa: F401
