from django.apps import AppConfig


class RenderingConfig(AppConfig):
    name = "rendering"

    def ready(self):
        # Declares the actors with the broker in every process (web, worker, commands), so work
        # can be sent to them by name (rendering/queue.py).
        from rendering import receivers, tasks  # noqa: F401
