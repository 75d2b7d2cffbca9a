"""API operations, written once: each method returns ``client._run(call)`` (a value for ``Loopwind``,
an awaitable for ``AsyncLoopwind``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._core import Call, content, folder_files, render_body, slug_path

if TYPE_CHECKING:
    from .client import BaseClient


class Resource:
    def __init__(self, client: BaseClient):
        self._client = client

    def _run(self, call: Call):
        return self._client._run(call)

    def _job(self, data: dict):
        return self._client._job(data)


class Templates(Resource):
    def list(
        self, *, q=None, type=None, tags=None, author=None, category=None, sort=None, page=None, limit=None
    ):  # noqa: A002
        """One page: ``{"templates": [...], "total", "page", "pages"}``. ``category`` is one of the
        marketplace's category slugs (``open-graph``, ``social``, ``marketing``, …)."""
        if isinstance(tags, list | tuple):
            tags = ",".join(tags)
        params = {
            "q": q,
            "type": type,
            "tags": tags,
            "author": author,
            "category": category,
            "sort": sort,
            "page": page,
            "limit": limit,
        }
        return self._run(
            Call("GET", "/api/templates", params={k: v for k, v in params.items() if v is not None})
        )

    def search(self, q: str, **filters):
        """The matching templates (first page, most relevant first) as a list."""
        call = Call(
            "GET",
            "/api/templates",
            params={"q": q, "sort": filters.pop("sort", "relevance"), **filters},
            parse=lambda r: r.json()["templates"],
        )
        return self._run(call)

    def get(self, slug: str):
        return self._run(Call("GET", slug_path(slug)))

    def versions(self, slug: str):
        return self._run(Call("GET", f"{slug_path(slug)}/versions"))

    def download(self, slug: str, *, version: str | None = None):
        """The bundle as zip bytes."""
        params = {"version": version} if version else None
        return self._run(Call("GET", f"{slug_path(slug)}/download", params=params, parse=content))

    def publish(
        self,
        source: str | os.PathLike | Mapping[str, bytes],
        *,
        name: str | None = None,
        version: str | None = None,
        description: str | None = None,
        private: bool | None = None,
        tags: list[str] | None = None,
        meta: dict | None = None,
        dry_run: bool = False,
    ):
        """Publish a folder (or ``{path: bytes}``); returns ``{id, name, version, url, files, ...}``.
        ``private``, ``description`` and ``tags`` left out keep what the template has (a new
        template is public, with the manifest's description and tags)."""
        files = dict(source) if isinstance(source, Mapping) else folder_files(source)
        data: dict[str, Any] = {"dryRun": str(bool(dry_run)).lower()}
        if private is not None:
            data["private"] = str(bool(private)).lower()
        for key, value in (("name", name), ("version", version), ("description", description)):
            if value is not None:
                data[key] = value
        if tags:
            data["tags"] = list(tags)
        if meta is not None:
            data["meta"] = json.dumps(meta)
        parts = [("files", (path, body)) for path, body in files.items()]
        return self._run(Call("POST", "/api/templates/publish", data=data, files=parts))


class Keys(Resource):
    def list(self):
        return self._run(Call("GET", "/api/keys"))

    def create(self, name: str, *, scopes: list[str] | None = None):
        """Returns the key record with ``key`` (shown once)."""
        body: dict[str, Any] = {"name": name}
        if scopes:
            body["scopes"] = list(scopes)
        return self._run(Call("POST", "/api/keys", json=body))

    def revoke(self, key_id: str):
        return self._run(Call("DELETE", f"/api/keys/{key_id}"))


class Auth(Resource):
    """Sign-in calls the CLI uses (device flow, refresh, logout)."""

    def device_start(self, client_name: str = "loopwind"):
        return self._run(Call("POST", "/api/auth/device", json={"clientName": client_name}, anonymous=True))

    def device_token(self, device_code: str):
        return self._run(
            Call("POST", "/api/auth/device/token", json={"deviceCode": device_code}, anonymous=True)
        )

    def refresh(self, refresh_token: str):
        return self._run(
            Call("POST", "/api/auth/refresh", json={"refreshToken": refresh_token}, anonymous=True)
        )

    def logout(self, refresh_token: str | None = None):
        body = {"refreshToken": refresh_token} if refresh_token else {}
        return self._run(Call("POST", "/api/auth/logout", json=body, anonymous=bool(refresh_token)))


class Operations(Resource):
    """The top-level methods of both clients."""

    def me(self):
        return self._run(Call("GET", "/api/me"))

    def render(self, template: str, *, props=None, format="png", scale=None, quality=None, version=None):  # noqa: A002
        """Render an image; returns its bytes."""
        body = render_body(template, props, format=format, scale=scale, quality=quality, version=version)
        return self._run(Call("POST", "/api/render", json=body, parse=content))

    def sign_url(self, template: str, *, props=None, format="png", scale=None, version=None):  # noqa: A002
        """A signed ``/i/…`` image URL for ``<img src>`` and ``og:image``."""
        body = render_body(template, props, format=format, scale=scale, version=version)
        return self._run(Call("POST", "/api/render/sign", json=body, parse=lambda r: r.json()["url"]))

    def render_video(
        self,
        template: str,
        *,
        props=None,
        format="mp4",  # noqa: A002
        webhook=None,
        version=None,
        idempotency_key=None,
    ):
        """Start an async render; returns a Job (``job.wait()`` for the result)."""
        body = render_body(template, props, format=format, webhook=webhook, version=version)
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        call = Call(
            "POST", "/api/render/async", json=body, headers=headers, parse=lambda r: self._job(r.json())
        )
        return self._run(call)

    def job(self, job_id: str):
        """The job with this id, fetched now."""
        return self._run(Call("GET", f"/api/render/{job_id}", parse=lambda r: self._job(r.json())))
