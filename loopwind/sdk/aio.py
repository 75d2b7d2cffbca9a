"""The async client ``AsyncLoopwind`` (httpx.AsyncClient): the same methods as ``Loopwind``, awaited."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from ._core import BATCH_FINAL, Call, SseParser, batch_event, connection_error, finish
from .client import BaseClient, JobBase


class AsyncJob(JobBase):
    async def events(self) -> AsyncIterator[dict]:
        """Like ``Job.events``: ``async for update in job.events(): …``."""
        while not self.done:
            async with self._client._stream(self._events_call()) as lines:
                parser = SseParser()
                async for line in lines:
                    event = parser.feed(line)
                    if event is not None:
                        yield self._event(*event)

    async def wait(self, timeout: float | None = 600, *, on_progress=None) -> AsyncJob:
        """Like ``Job.wait``; ``on_progress(job)`` may be a plain function."""
        for delay in self._waits(timeout, on_progress):
            await asyncio.sleep(delay)
            await self.refresh()
        return self._check()


class AsyncLoopwind(BaseClient):
    """``async with AsyncLoopwind(api_key=…) as lw: png = await lw.render(...)``."""

    job_class = AsyncJob

    def __init__(self, api_key: str | None = None, **kwargs):
        super().__init__(api_key, **kwargs)
        self._http = httpx.AsyncClient(**self._options)

    async def _run(self, call: Call):
        attempt = 0
        while True:
            try:
                response = await self._http.request(**call.request_kwargs())
            except httpx.TransportError as exc:
                raise connection_error(self.base_url, exc) from None
            delay = self._delay(response, attempt)
            if delay is None:
                return finish(call, response)
            await asyncio.sleep(delay)
            attempt += 1

    async def batch_events(self, batch_id: str) -> AsyncIterator[dict]:
        """Like ``Loopwind.batch_events``: ``async for update in lw.batch_events(batch_id): …``."""
        while True:
            async with self._stream(self._batch_events_call(batch_id)) as lines:
                parser = SseParser()
                async for line in lines:
                    event = parser.feed(line)
                    if event is not None:
                        update = batch_event(*event)
                        yield update
                        if update["event"] in BATCH_FINAL:
                            return

    @contextlib.asynccontextmanager
    async def _stream(self, call: Call):
        try:
            async with self._http.stream(**call.request_kwargs()) as response:
                if response.status_code >= 400:
                    await response.aread()
                    finish(call, response)
                yield response.aiter_lines()
        except httpx.TransportError as exc:
            raise connection_error(self.base_url, exc) from None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()
