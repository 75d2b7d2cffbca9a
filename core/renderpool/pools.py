"""The render pools of this process, sized and limited from settings."""

from django.conf import settings

from core.renderpool.isolation import Limits, RenderPool, get_pool


def image_pool() -> RenderPool:
    return get_pool(
        "image",
        size=settings.RENDER_PROCESSES,
        limits=Limits(
            wall_seconds=settings.RENDER_TIME_LIMIT,
            cpu_seconds=settings.RENDER_TIME_LIMIT,
            memory_mb=settings.RENDER_MEMORY_MB,
        ),
    )


def video_pool() -> RenderPool:
    return get_pool(
        "video",
        size=1,
        limits=Limits(
            wall_seconds=settings.VIDEO_TIME_LIMIT,
            cpu_seconds=settings.VIDEO_TIME_LIMIT * 2,  # ffmpeg encodes on another core
            memory_mb=settings.RENDER_MEMORY_MB,
        ),
    )
