from django.apps import AppConfig


class DomainsConfig(AppConfig):
    name = "domains"
    verbose_name = "Custom domains"

    def ready(self):
        # Declares the re-verification actor in every process, so it can be sent to by name.
        from domains import receivers, tasks  # noqa: F401
