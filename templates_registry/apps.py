from django.apps import AppConfig


class TemplatesRegistryConfig(AppConfig):
    name = "templates_registry"
    verbose_name = "Template registry"

    def ready(self) -> None:
        from templates_registry import cache  # noqa: F401  (receivers forgetting the hot-path cache)
