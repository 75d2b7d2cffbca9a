"""API operations, written once: each method returns ``client._run(call)`` (a value for ``Loopwind``,
an awaitable for ``AsyncLoopwind``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._core import Call, content, folder_files, render_body, slug_path

if TYPE_CHECKING:
    from .client import BaseClient


def _version_path(slug: str, version: str) -> str:
    return f"{slug_path(slug)}/versions/{quote(version, safe='')}"


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
        """A template: its latest version's files (with URLs and checksums), stats and preview."""
        return self._run(Call("GET", slug_path(slug)))

    def mine(self):
        """Your templates, private ones included."""
        return self._run(Call("GET", "/api/me/templates"))

    def update(self, slug: str, *, description: str | None = None, tags: list[str] | None = None,
               private: bool | None = None):  # fmt: skip
        """Edit a template you own; what is left out stays as it is."""
        body = {
            k: v
            for k, v in {"description": description, "tags": tags, "private": private}.items()
            if v is not None
        }
        return self._run(Call("PATCH", slug_path(slug), json=body))

    def unpublish(self, slug: str):
        """Hide the template and all its versions from everyone (renders included); its name stays yours."""
        return self._run(Call("DELETE", slug_path(slug)))

    def versions(self, slug: str):
        """Every version, newest first, with its deprecation and yank state."""
        return self._run(Call("GET", f"{slug_path(slug)}/versions"))

    def deprecate(self, slug: str, version: str, message: str):
        """Deprecate a version with a message shown to whoever renders it ("" takes it back)."""
        return self._run(Call("PATCH", _version_path(slug, version), json={"deprecated": message}))

    def yank(self, slug: str, version: str, *, reason: str = "", yanked: bool = True):
        """Withdraw a version (never "latest"; pinned renders still work, with a warning);
        ``yanked=False`` takes it back."""
        return self._run(
            Call("PATCH", _version_path(slug, version), json={"yanked": yanked, "reason": reason})
        )

    def star(self, slug: str):
        """Star a template (once per user; starring again changes nothing)."""
        return self._run(Call("POST", f"{slug_path(slug)}/star"))

    def unstar(self, slug: str):
        """Take your star back."""
        return self._run(Call("DELETE", f"{slug_path(slug)}/star"))

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
        owner: str | None = None,
    ):
        """Publish a folder (or ``{path: bytes}``); returns ``{id, name, version, url, author, files, ...}``.
        ``private``, ``description`` and ``tags`` left out keep what the template has (a new
        template is public, with the manifest's description and tags). ``owner`` publishes to an
        organization you belong to (as does a manifest ``name`` of ``acme/name``, or the client's
        ``account``); ``author`` in the answer is the account it went to."""
        files = dict(source) if isinstance(source, Mapping) else folder_files(source)
        data: dict[str, Any] = {"dryRun": str(bool(dry_run)).lower()}
        if private is not None:
            data["private"] = str(bool(private)).lower()
        fields = (("name", name), ("version", version), ("description", description), ("owner", owner))
        for key, value in fields:
            if value is not None:
                data[key] = value
        if tags:
            data["tags"] = list(tags)
        if meta is not None:
            data["meta"] = json.dumps(meta)
        parts = [("files", (path, body)) for path, body in files.items()]
        return self._run(Call("POST", "/api/templates/publish", data=data, files=parts))

    def lint(self, source: str | os.PathLike | Mapping[str, bytes]):
        """Preflight a folder (or ``{path: bytes}``) before publishing: a list of warnings, each
        ``{code, message, prop?, chars?, url?, family?, position?}`` (nothing is stored or charged)."""
        files = dict(source) if isinstance(source, Mapping) else folder_files(source)
        parts = [("files", (path, body)) for path, body in files.items()]
        return self._run(
            Call("POST", "/api/templates/lint", files=parts, parse=lambda r: r.json()["warnings"])
        )


class Users(Resource):
    def get(self, username: str):
        """A public profile: the user or organization and its public templates."""
        return self._run(Call("GET", f"/api/users/{quote(username, safe='')}"))


class Webhooks(Resource):
    def deliveries(self):
        """The newest webhook deliveries, each with every attempt (``attemptLog``)."""
        return self._run(Call("GET", "/api/webhooks/deliveries"))

    def redeliver(self, delivery_id: str):
        """Send a delivery again now, with the same webhook-id."""
        return self._run(Call("POST", f"/api/webhooks/deliveries/{quote(delivery_id, safe='')}/redeliver"))

    def secret(self):
        """``{"secret": "whsec_…", "rotatedAt"}``: verify deliveries with ``loopwind.webhooks.verify``."""
        return self._run(Call("GET", "/api/webhooks/secret"))

    def rotate_secret(self):
        """A new ``whsec_`` secret: deliveries are signed with it from now on."""
        return self._run(Call("POST", "/api/webhooks/secret"))


class Billing(Resource):
    def checkout(self, plan: str):
        """A Stripe Checkout URL for ``pro`` or ``business``."""
        return self._run(
            Call("POST", "/api/billing/checkout", json={"plan": plan}, parse=lambda r: r.json()["url"])
        )

    def portal(self):
        """A Stripe Billing Portal URL (invoices, card, cancel)."""
        return self._run(Call("POST", "/api/billing/portal", parse=lambda r: r.json()["url"]))


class Keys(Resource):
    def list(self):
        """Your API keys (their prefixes, scopes and last use; never the keys themselves)."""
        return self._run(Call("GET", "/api/keys"))

    def create(self, name: str, *, scopes: list[str] | None = None):
        """Returns the key record with ``key`` (shown once)."""
        body: dict[str, Any] = {"name": name}
        if scopes:
            body["scopes"] = list(scopes)
        return self._run(Call("POST", "/api/keys", json=body))

    def revoke(self, key_id: str):
        """Revoke a key: requests with it fail from now on."""
        return self._run(Call("DELETE", f"/api/keys/{key_id}"))


def _org_path(slug: str, *rest: str) -> str:
    return "/".join(["/api/orgs", quote(slug, safe=""), *(quote(part, safe="") for part in rest)])


class Orgs(Resource):
    """Organizations: an account (``acme`` in ``acme/og-card``) owning templates, keys, usage and a
    plan, with members as owner, admin or member. These calls are a person's: use your own token
    or personal key (an organization's key renders and publishes, but does not manage people).
    To act *for* an organization (its keys, usage, templates), give the client ``account="acme"``."""

    def list(self):
        """The organizations you belong to: ``[{username, name, avatarUrl, role}]``."""
        return self._run(Call("GET", "/api/me/orgs"))

    def create(self, username: str, *, name: str = "", bio: str = ""):
        """A new organization with you as its owner (on Free, one seat, until it has Business)."""
        return self._run(Call("POST", "/api/orgs", json={"username": username, "name": name, "bio": bio}))

    def get(self, slug: str):
        """Its profile, ``plan``, ``seats``, ``seatsUsed`` and your ``role`` (404 unless you are a member)."""
        return self._run(Call("GET", _org_path(slug)))

    def update(self, slug: str, *, name: str | None = None, bio: str | None = None,
               avatar_url: str | None = None):  # fmt: skip
        """Change its name, bio or avatar URL (admins and owners); what is left out stays."""
        body = {k: v for k, v in {"name": name, "bio": bio, "avatarUrl": avatar_url}.items() if v is not None}
        return self._run(Call("PATCH", _org_path(slug), json=body))

    def delete(self, slug: str):
        """Delete it with its templates, renders and usage; its keys are revoked first (owners only)."""
        return self._run(Call("DELETE", _org_path(slug)))

    def members(self, slug: str):
        """Every member: ``[{username, name, avatarUrl, role, joinedAt}]``."""
        return self._run(Call("GET", _org_path(slug, "members")))

    def set_role(self, slug: str, username: str, role: str):
        """Make a member ``owner``, ``admin`` or ``member`` (owners only; the last owner stays one)."""
        return self._run(Call("PATCH", _org_path(slug, "members", username), json={"role": role}))

    def remove_member(self, slug: str, username: str):
        """Remove a member, or leave with your own username (the last owner cannot)."""
        return self._run(Call("DELETE", _org_path(slug, "members", username)))

    def invite(self, slug: str, email: str, *, role: str = "member"):
        """Email an invitation (a link that works once, for 7 days, for that address only); the
        answer has its ``id`` and ``url`` (admins and owners; members and invitations fit the seats)."""
        return self._run(Call("POST", _org_path(slug, "invitations"), json={"email": email, "role": role}))

    def invitations(self, slug: str):
        """Pending invitations (admins and owners)."""
        return self._run(Call("GET", _org_path(slug, "invitations")))

    def revoke_invitation(self, slug: str, invitation_id: str):
        """Revoke a pending invitation: its link stops working at once."""
        return self._run(Call("DELETE", _org_path(slug, "invitations", invitation_id)))

    def accept_invitation(self, slug: str, token: str):
        """Accept an invitation with the token from its link (signed in as the invited address)."""
        return self._run(Call("POST", _org_path(slug, "invitations", token, "accept")))

    def audit(self, slug: str, *, before: int | None = None):
        """The audit log, newest first (admins and owners); ``before`` an event id pages back."""
        params = {"before": before} if before is not None else None
        return self._run(Call("GET", _org_path(slug, "audit"), params=params))


class Domains(Resource):
    """Custom domains (Business): ``og.example.com`` serving your signed image URLs."""

    def list(self):
        """Your custom domains with their status and the DNS records each needs."""
        return self._run(Call("GET", "/api/domains"))

    def add(self, domain: str):
        """Add a domain: the answer's ``records`` are the CNAME and TXT records to create, then ``verify``."""
        return self._run(Call("POST", "/api/domains", json={"domain": domain}))

    def verify(self, domain_id: str):
        """Look its DNS records up now: ``status`` verified, or failed with ``failureReason``."""
        return self._run(Call("POST", f"/api/domains/{quote(domain_id, safe='')}/verify"))

    def remove(self, domain_id: str):
        """Remove a domain: image URLs on it stop loading."""
        return self._run(Call("DELETE", f"/api/domains/{quote(domain_id, safe='')}"))


class Analytics(Resource):
    """Your API traffic over time (``GET /api/analytics``) and your recent errors."""

    def get(self, *, interval: str = "day", group_by: str | None = None, start=None, end=None):
        """Requests, errors, renders and p50/p95 latency per ``interval`` (minute, hour, day), one series
        per group when ``group_by`` (route, template, key, status, format, cache) is given. ``start`` and
        ``end`` are datetimes or ISO 8601 strings (the API's ``from`` and ``to``)."""
        params = {"interval": interval, "groupBy": group_by, "from": _iso(start), "to": _iso(end)}
        return self._run(
            Call("GET", "/api/analytics", params={k: v for k, v in params.items() if v is not None})
        )

    def errors(self, *, limit: int | None = None, before=None):
        """Your most recent error answers, newest first, each with its request id."""
        params = {"limit": limit, "before": _iso(before)}
        return self._run(Call("GET", "/api/analytics/errors", params={k: v for k, v in params.items() if v is not None},
                              parse=lambda r: r.json()["errors"]))  # fmt: skip

    def csv(self, *, interval: str = "day", group_by: str | None = None, start=None, end=None) -> bytes:
        """The same series as ``get``, as CSV (one row per group and period)."""
        params = {"interval": interval, "groupBy": group_by, "from": _iso(start), "to": _iso(end)}
        return self._run(Call("GET", "/api/analytics", params={k: v for k, v in params.items() if v is not None},
                              headers={"Accept": "text/csv"}, parse=content))  # fmt: skip


def _iso(moment):
    return moment.isoformat() if hasattr(moment, "isoformat") else moment


class Auth(Resource):
    """Accounts and sessions: register, log in, refresh, log out, the CLI's device flow."""

    def register(self, email: str, password: str, *, name: str = "", username: str = ""):
        """``{user, token, refreshToken}`` for a new account."""
        body = {"email": email, "password": password, "name": name, "username": username}
        return self._run(Call("POST", "/api/auth/register", json=body, anonymous=True))

    def login(self, email: str, password: str):
        """``{user, token, refreshToken}``; the token lives 15 minutes, refresh it with ``refresh``."""
        return self._run(
            Call("POST", "/api/auth/login", json={"email": email, "password": password}, anonymous=True)
        )

    def device_start(self, client_name: str = "loopwind"):
        """Start a device login (RFC 8628 style): ``{deviceCode, userCode, verificationUri, interval}``."""
        return self._run(Call("POST", "/api/auth/device", json={"clientName": client_name}, anonymous=True))

    def device_token(self, device_code: str):
        """Poll a device login: the session once approved, else an error saying to wait or why not."""
        return self._run(
            Call("POST", "/api/auth/device/token", json={"deviceCode": device_code}, anonymous=True)
        )

    def refresh(self, refresh_token: str):
        """A new ``{token, refreshToken}``; the refresh token given stops working (single use)."""
        return self._run(
            Call("POST", "/api/auth/refresh", json={"refreshToken": refresh_token}, anonymous=True)
        )

    def logout(self, refresh_token: str | None = None):
        """End that session; without a refresh token, every session of the caller (needs ``keys:manage``)."""
        body = {"refreshToken": refresh_token} if refresh_token else {}
        return self._run(Call("POST", "/api/auth/logout", json=body, anonymous=bool(refresh_token)))


class Operations(Resource):
    """The top-level methods of both clients."""

    def me(self):
        """The caller's profile and plan."""
        return self._run(Call("GET", "/api/me"))

    def update_me(self, *, name: str | None = None, bio: str | None = None, avatar_url: str | None = None):
        """Edit your profile (needs ``keys:manage``: an account-level call)."""
        body = {k: v for k, v in {"name": name, "bio": bio, "avatarUrl": avatar_url}.items() if v is not None}
        return self._run(Call("PATCH", "/api/me", json=body))

    def usage(self):
        """This month's renders, publishes and templates against the plan, and when they reset."""
        return self._run(Call("GET", "/api/me/usage"))

    def rotate_signing_secret(self):
        """A new secret for your signed image URLs: every URL signed before stops working."""
        return self._run(Call("POST", "/api/render/signing-secret"))

    def render(self, template: str, *, props=None, format="png", scale=None, quality=None, version=None):  # noqa: A002
        """Render an image; returns its bytes."""
        body = render_body(template, props, format=format, scale=scale, quality=quality, version=version)
        return self._run(Call("POST", "/api/render", json=body, parse=content))

    def check(self, template: str, *, props=None, version=None):
        """Preflight a render without paying for it: a list of warnings (missing glyphs, unavailable
        images, missing fonts, overflowing text), each ``{code, message, prop?, position?, ...}``."""
        body = render_body(template, props, version=version)
        return self._run(Call("POST", "/api/render/check", json=body, parse=lambda r: r.json()["warnings"]))

    def sign_url(self, template: str, *, props=None, format="png", scale=None, version=None, domain=None):  # noqa: A002
        """A signed ``/i/…`` image URL for ``<img src>`` and ``og:image``; with ``domain`` (a verified
        custom domain of yours, for your own templates) the URL is on that domain."""
        body = render_body(template, props, format=format, scale=scale, version=version, domain=domain)
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

    def render_batch(
        self,
        template: str,
        *,
        rows=None,
        csv=None,
        format="png",  # noqa: A002
        scale=None,
        version=None,
        on_invalid="reject",
        webhook=None,
        idempotency_key=None,
    ):
        """Render an image template once per row, on the server's workers. Give ``rows`` (a list of
        props dicts; a ``filename`` key names a row's output) or ``csv`` (a path, bytes or a file
        object: a CSV whose header names the props). ``on_invalid="skip"`` leaves bad rows out instead
        of refusing the batch. Returns the accepted batch (``batchId``, ``statusUrl``, …); follow it
        with ``batch(batch_id)``."""
        options = {"format": format, "scale": scale, "version": version, "onInvalid": on_invalid,
                   "webhook": webhook}  # fmt: skip
        options = {key: value for key, value in options.items() if value is not None}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        if (rows is None) == (csv is None):
            raise ValueError("Give either rows or csv.")
        if rows is not None:
            call = Call("POST", "/api/render/batch", json={"template": template, "rows": list(rows), **options},
                        headers=headers)  # fmt: skip
            return self._run(call)
        name = "rows.csv"
        if isinstance(csv, str | os.PathLike):
            name = os.path.basename(os.fspath(csv))
            with open(csv, "rb") as handle:
                data = handle.read()
        elif isinstance(csv, bytes | bytearray):
            data = bytes(csv)
        else:
            data = csv.read()
        fields = {"template": template, **{key: str(value) for key, value in options.items()}}
        call = Call("POST", "/api/render/batch", data=fields, files=[("csv", (name, data, "text/csv"))],
                    headers=headers)  # fmt: skip
        return self._run(call)

    def batch(self, batch_id: str, *, page=None, limit=None):
        """A batch's progress (``done``, ``failed``, ``remaining``) and one page of its rows, each
        with its output's signed ``url`` once rendered."""
        params = {k: v for k, v in {"page": page, "limit": limit}.items() if v is not None}
        return self._run(Call("GET", f"/api/render/batch/{quote(batch_id, safe='')}", params=params or None))

    def _batch_events_call(self, batch_id: str) -> Call:
        return Call("GET", f"/api/render/batch/{quote(batch_id, safe='')}/events",
                    headers={"Accept": "text/event-stream, */*"})  # fmt: skip

    def cancel_batch(self, batch_id: str):
        """Stop a batch's rows not yet rendered; the rendered ones stay (and stay charged)."""
        return self._run(Call("POST", f"/api/render/batch/{quote(batch_id, safe='')}/cancel"))

    def batch_zip(self, batch_id: str):
        """Every rendered row's output in one zip (with manifest.csv), as bytes."""
        return self._run(Call("GET", f"/api/render/batch/{quote(batch_id, safe='')}/zip", parse=content))

    def batch_manifest(self, batch_id: str):
        """The batch's CSV manifest (row, filename, url, status, error) as text."""
        call = Call(
            "GET", f"/api/render/batch/{quote(batch_id, safe='')}/manifest.csv", parse=lambda r: r.text
        )
        return self._run(call)
