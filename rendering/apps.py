from django.apps import AppConfig


class RenderingConfig(AppConfig):
    name = "rendering"

    def ready(self):
        from core import hotcache

        # Declares the actors with the broker in every process (web, worker, commands), so work
        # can be sent to them by name (rendering/queue.py).
        from rendering import receivers, tasks  # noqa: F401

        # The render cache's index entries (rendering.services): the signed /i/ hit keeps a near
        # copy of its read of them (core.nearcache), so their writes must reach every process.
        hotcache.track("render:")
