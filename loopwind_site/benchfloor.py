"""The floor the render bench measures against (bench/render_api.py): a trivial view answering
13 KB through the full middleware stack, on the same gunicorn. Mounted at ``/_bench/floor`` only
when LOOPWIND_BENCH_FLOOR=1 (settings.BENCH_FLOOR); never in a normal deployment."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

BODY = b"x" * 13 * 1024  # about the size of a small PNG answer


def floor(request):
    return HttpResponse(BODY, content_type="application/octet-stream")


def bench_urls() -> list:
    return [path("_bench/floor", floor)] if settings.BENCH_FLOOR else []
