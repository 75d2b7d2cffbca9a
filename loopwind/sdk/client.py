"""The sync client ``Loopwind`` and its ``Job``; the shared base of both clients."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from . import errors
from ._core import (
    ACCOUNT_HEADER,
    BATCH_FINAL,
    TERMINAL,
    USER_AGENT,
    Call,
    SseParser,
    batch_event,
    connection_error,
    content,
    env_account,
    env_auth,
    env_base_url,
    finish,
    poll_delays,
    retry_delay,
)
from .resources import Analytics, Auth, Billing, Domains, Keys, Operations, Orgs, Templates, Users, Webhooks


class BaseClient(Operations):
    """Configuration shared by ``Loopwind`` and ``AsyncLoopwind``."""

    job_class: type

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        auth: httpx.Auth | None = None,
        account: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        max_retry_wait: float = 30.0,
    ):
        """``api_key`` defaults to LOOPWIND_API_KEY, ``base_url`` to LOOPWIND_API_URL or https://loopwind.dev.
        ``auth`` (an ``httpx.Auth``) replaces the key, e.g. the CLI's refreshing token auth.

        ``account`` (default LOOPWIND_ACCOUNT; ``""`` for none) is an organization to act for: every
        request says so in the ``X-Loopwind-Account`` header, and keys, usage, templates, renders and
        publishes are the organization's. A person's token or personal key needs to be a member's;
        an organization's own API key acts for it without the header."""
        self._client = self
        self.base_url = env_base_url(base_url)
        self.auth = env_auth(api_key, auth)
        self.account = env_account(account)
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._options = {
            "base_url": self.base_url,
            "auth": self.auth,
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            "headers": {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **({ACCOUNT_HEADER: self.account} if self.account else {}),
            },
        }
        self.templates = Templates(self)
        self.keys = Keys(self)
        self.users = Users(self)
        self.webhooks = Webhooks(self)
        self.billing = Billing(self)
        self.orgs = Orgs(self)
        self.auth_api = Auth(self)
        self.domains = Domains(self)
        self.analytics = Analytics(self)

    def _delay(self, response: httpx.Response, attempt: int) -> float | None:
        return retry_delay(response, attempt, max_retries=self.max_retries, max_wait=self.max_retry_wait)

    def _job(self, data: dict):
        return self.job_class(self, data)


class JobBase:
    """An async render job; fields from ``GET /api/render/:jobId`` (``data`` has them all)."""

    def __init__(self, client: BaseClient, data: dict):
        self._client = client
        self.data: dict[str, Any] = {}
        self._update(data)

    def _update(self, data: dict):
        self.data.update(data)
        return self

    id = property(lambda self: self.data.get("jobId"))
    status = property(lambda self: self.data.get("status"))
    progress = property(lambda self: self.data.get("progress") or 0.0)
    current_frame = property(lambda self: self.data.get("currentFrame") or 0)
    total_frames = property(lambda self: self.data.get("totalFrames") or 0)
    output_url = property(lambda self: self.data.get("outputUrl"))
    error = property(lambda self: self.data.get("error"))

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.status} {self.progress:.0%}>"

    def refresh(self):
        """Fetch the current status (returns the job)."""
        return self._client._run(
            Call("GET", f"/api/render/{self.id}", parse=lambda r: self._update(r.json()))
        )

    def _events_call(self) -> Call:
        return Call("GET", f"/api/render/{self.id}/events", headers={"Accept": "text/event-stream, */*"})

    def _event(self, name: str, data: str) -> dict:
        """An event from the stream: the job is updated with it; ``{"event", "job"}`` is returned."""
        self._update(json.loads(data))
        return {"event": name, "job": self}

    def cancel(self):
        """Ask the server to cancel (returns the job)."""
        return self._client._run(Call("DELETE", f"/api/render/{self.id}", parse=self._after_cancel))

    def _after_cancel(self, response: httpx.Response):
        if response.content:
            self._update(response.json())
        else:
            self.data["status"] = "cancelled"
        return self

    def download(self):
        """The output's bytes (after ``wait()``)."""
        if not self.output_url:
            raise errors.LoopwindError(
                f"Job {self.id} has no output (status {self.status}).", code="no_output"
            )
        return self._client._run(Call("GET", self.output_url, parse=content, anonymous=True))

    def _check(self):
        if self.status == "failed":
            error = self.error or {}
            raise errors.RenderFailed(
                error.get("message") or "The render failed.", code=error.get("code") or "render_failed",
                details={"jobId": self.id},
            )  # fmt: skip
        if self.status == "cancelled":
            raise errors.JobCancelled(
                f"Job {self.id} was cancelled.", code="cancelled", details={"jobId": self.id}
            )
        return self

    def _waits(self, timeout: float | None, on_progress):
        """The polling loop both clients share: yields how long to sleep before the next refresh,
        and ends when the job does (or raises WaitTimeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delays = poll_delays()
        while True:
            if on_progress:
                on_progress(self)
            if self.done:
                return
            delay = next(delays)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise self._timeout(timeout)
            yield delay

    def _timeout(self, timeout: float):
        return errors.WaitTimeout(
            f"Job {self.id} did not finish within {timeout:g} s (status {self.status}).", code="wait_timeout"
        )


class Job(JobBase):
    def events(self) -> Iterator[dict]:
        """Follow the job as it renders, over Server-Sent Events: yields ``{"event", "job"}`` for
        each ``progress`` and then the final ``completed`` / ``failed`` / ``cancelled``, with the job
        updated. Each stream lasts at most about 45 s; this reconnects until the final event."""
        while not self.done:
            with self._client._stream(self._events_call()) as lines:
                parser = SseParser()
                for line in lines:
                    event = parser.feed(line)
                    if event is not None:
                        yield self._event(*event)

    def wait(self, timeout: float | None = 600, *, on_progress=None) -> Job:
        """Poll (0.5 s, then backing off to 5 s) until the job ends; returns it when completed, raises
        RenderFailed / JobCancelled / WaitTimeout otherwise. ``on_progress(job)`` after each poll."""
        for delay in self._waits(timeout, on_progress):
            time.sleep(delay)
            self.refresh()
        return self._check()


class Loopwind(BaseClient):
    """``lw = Loopwind(api_key="lw_live_…")``; ``lw.render(...)``, ``lw.render_video(...).wait()``,
    ``lw.templates.search(...)``, ``lw.sign_url(...)``."""

    job_class = Job

    def __init__(self, api_key: str | None = None, **kwargs):
        super().__init__(api_key, **kwargs)
        self._http = httpx.Client(**self._options)

    def _run(self, call: Call):
        attempt = 0
        while True:
            try:
                response = self._http.request(**call.request_kwargs())
            except httpx.TransportError as exc:
                raise connection_error(self.base_url, exc) from None
            delay = self._delay(response, attempt)
            if delay is None:
                return finish(call, response)
            time.sleep(delay)
            attempt += 1

    def batch_events(self, batch_id: str) -> Iterator[dict]:
        """Follow a batch over Server-Sent Events: yields ``{"event", "batch"}`` with the batch's
        progress (``done``, ``failed``, ``remaining``, …) first as it is, then as rows finish
        (``progress``), and last the final ``completed`` or ``cancelled``. Each stream lasts at most
        about 45 s; this reconnects until the final event."""
        while True:
            with self._stream(self._batch_events_call(batch_id)) as lines:
                parser = SseParser()
                for line in lines:
                    event = parser.feed(line)
                    if event is not None:
                        update = batch_event(*event)
                        yield update
                        if update["event"] in BATCH_FINAL:
                            return

    @contextlib.contextmanager
    def _stream(self, call: Call):
        """The response's lines, read as they arrive (an error status raises as ``_run`` does)."""
        try:
            with self._http.stream(**call.request_kwargs()) as response:
                if response.status_code >= 400:
                    response.read()
                    finish(call, response)
                yield response.iter_lines()
        except httpx.TransportError as exc:
            raise connection_error(self.base_url, exc) from None

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
