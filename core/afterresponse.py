"""Work a request hands over to run once its response has gone out: in the same process and thread,
before it serves its next request, but not on the caller's clock (storing an uncached render's
output that the render cache already holds, reading the replies of writes already sent).

``AfterResponseMiddleware`` collects the work of a request and runs it when the server closes the
response (WSGI's ``close()``, which gunicorn calls once the body is written; Django's test client
calls it before it returns). Outside a request (a queue worker, a shell, a test calling a service)
there is nothing to wait for and ``after_response`` runs the work at once, so callers need no second
path. Work that fails is logged: its response is gone, and each piece handles what it can itself."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import partial

logger = logging.getLogger(__name__)

Work = Callable[[], None]
_pending: ContextVar[list[Work] | None] = ContextVar("after_response", default=None)


def active() -> bool:
    """True inside a request whose response has not gone out yet: work handed over now waits for it."""
    return _pending.get() is not None


def after_response(work: Work) -> None:
    """Runs ``work`` once this request's response has gone out (in the order handed over), or now
    outside a request."""
    pending = _pending.get()
    if pending is None:
        run([work])
    else:
        pending.append(work)


def run(works: list[Work]) -> None:
    while works:
        work = works.pop(0)
        try:
            work()
        except Exception:
            logger.exception("work after the response failed: %r", work)


@contextlib.contextmanager
def deferred() -> Iterator[list[Work]]:
    """Collects what the block hands to ``after_response``; the caller runs it (``run``) when its
    answer has gone out."""
    pending: list[Work] = []
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


class AfterResponseMiddleware:
    """Outermost: what a request hands over runs when its response is closed, after the body went out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with deferred() as pending:
            try:
                response = self.get_response(request)
            except BaseException:
                run(pending)
                raise
        if pending:
            # HttpResponseBase.close() calls its resource closers (Django's own hook for FileResponse's
            # file); the WSGI server calls close() once it has sent the response.
            response._resource_closers.append(partial(run, pending))
        return response
