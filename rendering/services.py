"""Synchronous renders: the render cache, isolation, signed image URLs, per-user secrets."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.utils import timezone

from accounts.keycache import USER_LEFT_OUT
from accounts.models import User
from accounts.selectors import user_get_by_username
from billing.models import Usage
from billing.plans import plan_limits
from billing.services import month_start, quota_consume, quota_limit, quota_refund, usage_record
from core import afterresponse, hotcache, inflight
from core import files as stored_files
from core.memo import BytesMemo, Memo
from core.netsafe import fetch_image
from core.observability import RENDER_SECONDS
from core.renderpool.isolation import RenderTask
from core.renderpool.pools import image_pool
from core.renderpool.preflight import preflight_check
from loopwind import engine
from rendering import renderlog
from rendering.bundles import bundle_for
from rendering.errors import BadSignature, RenderFailed, UseAsyncEndpoint  # noqa: F401  (re-exported)
from rendering.models import RenderSecrets, new_signing_secret, new_webhook_secret
from rendering.queue import FLUSH_RENDER_COUNTS, enqueue_once
from templates_registry.models import Template, TemplateVersion

logger = logging.getLogger(__name__)
URL_RESERVED_PARAMS = frozenset({"v", "sig", "scale", "u"})


@dataclass
class RenderResult:
    content: bytes
    content_type: str
    render_id: str
    cache_hit: bool
    duration_ms: int
    cache_key: str
    output_name: str
    not_modified: bool = False  # the caller already holds this output (If-None-Match): no content read


def engine_error(exc: engine.EngineError) -> RenderFailed:
    """Engine errors as API errors: bad props are the caller's 400, the rest a 422."""
    status = 400 if isinstance(exc, engine.PropsError) else 422
    return RenderFailed(exc.message, code=exc.code, status=status, details=exc.details)


def _normalized(value: Any) -> Any:
    if isinstance(value, engine.ImageValue):
        return {"image": value.ref, "sha256": hashlib.sha256(value.data).hexdigest() if value.data else None}
    return value


def render_cache_key(
    *,
    version: TemplateVersion,
    props: dict,
    fmt: str,
    scale: int,
    quality: int | None,
    time: float | None = None,
) -> str:
    """Keyed by what determines the output: the bundle's checksum, the props after validation and
    defaults (so key order and defaulted values do not matter), format, scale and quality (and for a
    still of a video, its time). A remote image counts by its URL: change the URL to refresh it."""
    material = {
        "bundle": version.checksum,
        "props": {name: _normalized(value) for name, value in props.items()},
        "format": fmt,
        "scale": scale,
        "quality": quality,
    }
    if time is not None:  # only stills of videos carry it: image keys stay what they were
        material["time"] = round(float(time), 3)
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def remote_images_fetch(bundle: engine.Bundle, props: dict) -> dict[str, bytes]:
    """The bytes of every image prop given as a URL, fetched with SSRF protection (the engine never
    opens a connection itself)."""
    return {url: fetch_image(url)[0] for url in engine.remote_image_urls(bundle, props).values()}


def render_check(*, version: TemplateVersion, props: dict | None, account: str = "") -> list[dict]:
    """Preflight of one render (``POST /api/render/check``): the props validated as a render would (400),
    image URLs fetched with the render's SSRF protections, nothing rendered, stored or charged."""
    bundle = bundle_for(version)
    props = props or {}
    check_props(version=version, props=props, bundle=bundle)
    try:
        return preflight_check(bundle, props, account=account)
    except engine.EngineError as exc:
        raise engine_error(exc) from exc


def _cache_get(key: str) -> dict | None:
    try:
        return cache.get(f"render:{key}")
    except Exception:  # the cache is an optimisation: Redis down means render, not fail
        logger.warning("render cache unavailable; rendering without it", exc_info=True)
        return None


def _cache_set(
    key: str, value: dict, batch: inflight.ReleaseBatch | None = None, *, timeout: int | None = None
) -> None:
    """Indexes a render's output (for ``timeout`` seconds, else RENDER_CACHE_TTL); with ``batch``'s
    round trip when it has one (its Redis is the cache's)."""
    timeout = timeout or settings.RENDER_CACHE_TTL

    def unavailable(exc: Exception) -> None:
        logger.warning("render cache unavailable; output %s not indexed: %r", value.get("name"), exc)

    if batch is not None and batch.client is not None:
        batch.add("SET", render_cache_entry_key(key), cache.client.encode(value), "EX", timeout,
                  on_error=unavailable)  # fmt: skip
        return
    try:
        cache.set(f"render:{key}", value, timeout=timeout)
    except Exception as exc:
        unavailable(exc)


def render_cache_entry_key(key: str) -> str:
    """The full cache key of render ``key``'s index entry (what _cache_get reads), for the hit
    paths that read it in a round trip of their own (core.hotcache.read)."""
    return cache.make_key(f"render:{key}")


# Outputs this process served from the render cache lately, by stored name (a render is kept from
# its first hit on: one-off renders do not push out the ones being asked for). A name is its render key
# (a hash of everything that determines the bytes), so a name always means the same bytes; a hit
# is still one only while the render cache's entry says so, and who may see it is checked first.
_outputs = BytesMemo(settings.RENDER_MEMORY_CACHE_MB * 1024 * 1024, max_item=1024 * 1024)


def output_read(name: str) -> bytes:
    """A stored output by name, from this process's memory when it served it lately."""
    content = _outputs.get(name)
    if content is None:
        content = stored_files.file_read(name)
        _outputs.put(name, content)
    return content


# A stored index entry is never changed in place (a render writes a new one), so the same bytes
# always decode to the same entry: the last ones this process decoded, by their bytes. Read only.
_index_entries = Memo(2048)
_hit_seconds: dict[str, Any] = {}  # RENDER_SECONDS' child by format, for cache hits


def _index_entry(raw: bytes) -> dict:
    if len(raw) > _MEMO_ENTRY_BYTES:  # one holding its output until it is stored: read once or twice
        return caches["default"].client.decode(raw)
    return _index_entries.computed(raw, lambda: caches["default"].client.decode(raw))


_MEMO_ENTRY_BYTES = 1024  # an entry naming its output is ~150 bytes


def observe_hit(fmt: str, started: float) -> None:
    child = _hit_seconds.get(fmt)
    if child is None:
        child = _hit_seconds[fmt] = RENDER_SECONDS.labels(format=fmt, cache="hit")
    child.observe(time.perf_counter() - started)


def render_hit(*, key: str, raw_entry: bytes | dict | None, fmt: str, started: float) -> RenderResult | None:
    """The answer to render ``key`` from its index entry (as stored in Redis, raw, or as the cache
    backend returned it), or None (no entry, or its file is gone or the entry unreadable: render_image
    renders it again). The caller knows ``key`` is this render's: it was computed from the same
    version checksum and request (rendering.fastpath, render_image)."""
    if raw_entry is None:
        return None
    try:
        hit = raw_entry if isinstance(raw_entry, dict) else _index_entry(raw_entry)
        content = hit.get("body")
        if content is None:
            content = output_read(hit["name"])
        else:  # its output is being stored (render_image): the bytes are the name's, kept from this hit on
            _outputs.put(hit["name"], content)
    except (FileNotFoundError, stored_files.StorageUnavailable):
        return None
    except Exception:  # an entry this code cannot read: rendered again, and written anew
        logger.warning("render cache entry of %s unreadable", key[:12], exc_info=True)
        return None
    observe_hit(fmt, started)
    return RenderResult(
        content, engine.CONTENT_TYPES[fmt], hit["rid"], True, ms_since(started), key, hit["name"]
    )


def check_props(*, version: TemplateVersion, props: dict, bundle: engine.Bundle | None = None) -> dict:
    """Validated props, or the engine's 400 naming the prop."""
    try:
        return engine.validate_props(bundle or bundle_for(version), props or {})
    except engine.EngineError as exc:
        raise engine_error(exc) from exc


def render_image(
    *,
    user,
    template: Template,
    version: TemplateVersion,
    props: dict | None,
    fmt: str,
    scale: int = 1,
    quality: int | None = None,
    source: str = "api",
    count_quota: bool = True,
    props_are_text: bool = False,
    before_rendering: Callable[[], None] | None = None,
    still_at: float | None = None,
    in_flight: tuple[str, int] | None = None,
    etags: frozenset[str] = frozenset(),
) -> RenderResult:
    """Validates props (400 before any work), answers from the cache (free: hits do not count
    against the quota), or spends one image render of the quota and renders in a child.
    ``count_quota=False`` is for renders nobody is billed for (anonymous "try it" on the website,
    limited per IP instead); they are recorded under ``user``, the template's owner.
    ``props_are_text`` for props from a URL's query or a form: typed by the manifest first
    (JSON props must already have their types). ``before_rendering`` runs on a cache miss only, before
    any work (signed URLs count their renders there; hits are free). ``still_at`` (seconds) renders
    one frame of a video template as an image (the website's live preview): videos need it, images
    ignore it. ``in_flight`` (slot, limit) overrides the account's renders-in-flight slot (the
    anonymous try-it holds one per IP). ``etags`` are the caller's If-None-Match: when the render's
    key is among them (or ``*``) the result is ``not_modified`` and neither the render cache nor
    storage is read (the key is a hash of everything that determines the output, so the caller's
    copy is this render's bytes)."""
    started = time.perf_counter()
    key, props, bundle = _lookup(
        template=template, version=version, props=props, fmt=fmt, scale=scale, quality=quality,
        props_are_text=props_are_text, still_at=still_at,
    )  # fmt: skip
    if key in etags or "*" in etags:
        return RenderResult(
            b"", engine.CONTENT_TYPES[fmt], "", True, ms_since(started), key, "", not_modified=True
        )
    plan = plan_limits(user)
    slot, limit = in_flight or (f"renders:user:{user.pk}", plan.renders_in_flight)
    # The render's last writes (its log record, its cache entry) go with the slot's release: one round
    # trip, whose replies a request reads after its response has gone out
    last_writes = inflight.ReleaseBatch(read_later=afterresponse.active())
    holding = partial(inflight.in_flight, slot, limit=limit, seconds=plan.render_time_limit + 30,
                      release_with=last_writes)  # fmt: skip
    with contextlib.ExitStack() as held:
        # The render cache's entry and, when there is none, a renders-in-flight slot: one round trip
        entry = held.enter_context(holding(unless_present=render_cache_entry_key(key)))
        slot_held = not isinstance(entry, bytes)
        if entry is inflight.NOT_READ:  # no Redis (or it failed): the cache backend's own read
            entry = _cache_get(key)
        hit = render_hit(key=key, raw_entry=entry, fmt=fmt, started=started)
        if hit is not None:
            return hit
        if not slot_held:  # an entry whose file is gone: rendered again, in a slot
            held.enter_context(holding())
        if before_rendering is not None:
            before_rendering()
        task = RenderTask(
            bundle.checksum, None, props, format=fmt, scale=scale, quality=quality, time=still_at
        )
        charged = []  # the quota unit, once taken

        def charge() -> None:
            _quota_seen.put(
                user.pk, (month_start(), quota_consume(user=user, usage_type=Usage.Type.IMAGE_RENDER))
            )
            charged.append(True)

        # The quota's upsert (a commit) overlaps the render when this process saw the account far
        # from its limit: the conditional UPDATE still decides, and a refusal drops the output.
        overlap = count_quota and _quota_roomy(user)
        if count_quota and not overlap:
            charge()
        try:
            task.images = remote_images_fetch(bundle, props)
            content = image_pool().run(
                task,
                files_loader=lambda: dict(bundle.files),  # the bundle this process holds: no storage read
                wall_seconds=plan.render_time_limit,
                account=slot,
                while_rendering=charge if overlap else None,
            )
        except BaseException as exc:
            # A render that used the renderer counts, failed or timed out (a template whose cost grows
            # with a prop must not hold renderers for free); one that never reached it is given back.
            if charged and task.cpu_ms is None:
                quota_refund(user=user, usage_type=Usage.Type.IMAGE_RENDER)
            if charged and task.cpu_ms:
                usage_record(user=user, usage_type=Usage.Type.RENDER_CPU_MS, amount=task.cpu_ms)
            if isinstance(exc, engine.EngineError):
                raise engine_error(exc) from exc
            raise
        name = f"renders/{key[:2]}/{key}.{fmt}"
        # Inside a request, an output small enough to sit in the render cache's entry is stored after
        # the response has gone out (an S3 PUT is not the caller's to wait for); until then the entry
        # carries the bytes, so a repeat in any process is a hit and never a second render and charge.
        store_later = last_writes.read_later and len(content) <= STORE_LATER_MAX_BYTES
        stored_now = not store_later and _output_store(name, content, key)
        duration = ms_since(started)
        # The Render row, the template's counter and the render's CPU time in usage are written by the
        # worker's minute upkeep (rendering/renderlog.py): an RPUSH here instead of INSERTs and commits.
        render_id, record = renderlog.render_record(
            user_id=user.pk, template_id=template.pk, version_id=version.pk, format=fmt, scale=scale,
            cache_key=key, output=name, size=len(content), duration_ms=duration, source=source,
            cpu_ms=(task.cpu_ms or 0) if count_quota else 0,
        )  # fmt: skip
        renderlog.render_record_log(record, last_writes)
        if store_later:
            _cache_set(key, {"name": name, "rid": render_id, "body": content}, last_writes,
                       timeout=STORED_WITHIN_SECONDS)  # fmt: skip
        elif stored_now:
            _cache_set(key, {"name": name, "rid": render_id}, last_writes)
    if store_later:  # after the release's replies are read (its entry is written before this one)
        afterresponse.after_response(partial(_output_stored_later, key, name, render_id, content))
    RENDER_SECONDS.labels(format=fmt, cache="miss").observe(duration / 1000)
    enqueue_once(FLUSH_RENDER_COUNTS)
    return RenderResult(content, engine.CONTENT_TYPES[fmt], render_id, False, duration, key, name)


# An output up to this size is stored after the response (its entry holds it meanwhile: the render
# cache's Redis holds it for a moment); a larger one is stored first, as the caller waits.
STORE_LATER_MAX_BYTES = 256 * 1024
# How long an entry holding the output's bytes lives when its output could not be stored (storage
# down, the process killed): hits are answered from it meanwhile, then the render runs again.
STORED_WITHIN_SECONDS = 60


def _output_store(name: str, content: bytes, key: str) -> bool:
    """Stores an output by its content-addressed name; False when storage is unavailable (the caller
    still gets the image, it is just not cached until storage is back)."""
    try:
        stored_files.file_save(name, content)  # False when already there: same key, same bytes
    except stored_files.StorageUnavailable:
        logger.warning("render %s not cached: storage unavailable", key[:12])
        return False
    return True


def _output_stored_later(key: str, name: str, render_id: str, content: bytes) -> None:
    """After the response: the output stored, and its entry replaced by one that names it."""
    if _output_store(name, content, key):
        _cache_set(key, {"name": name, "rid": render_id})


# Image renders each account had used, as this process last saw (month, count): an account far
# from its limit has its quota counted while its render runs. Stale only towards rendering once
# more than the limit allows and dropping it (other processes counted meanwhile), never towards
# charging wrongly: the upsert is the check.
_quota_seen = Memo(4096)
QUOTA_OVERLAP_MARGIN = 50


def _quota_roomy(user) -> bool:
    seen = _quota_seen.get(user.pk)
    if seen is None or seen[0] != month_start():
        return False
    limit = quota_limit(user, Usage.Type.IMAGE_RENDER)
    return limit is None or limit - seen[1] > QUOTA_OVERLAP_MARGIN


def _lookup(*, template, version, props, fmt, scale, quality, props_are_text, still_at):
    """(cache key, the props as given (typed, not normalized: the render child and the image fetch
    take them so), the bundle)."""
    if template.type == "video" and still_at is None:
        raise UseAsyncEndpoint(details={"asyncEndpoint": "/api/render/async"})
    if template.type != "video":
        still_at = None
    bundle = bundle_for(version)
    props = engine.props_from_text(bundle.props, props or {}) if props_are_text else props or {}
    validated = check_props(version=version, props=props, bundle=bundle)
    key = render_cache_key(
        version=version, props=validated, fmt=fmt, scale=scale, quality=quality, time=still_at
    )
    return key, props, bundle


def ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


# --- per-user secrets ------------------------------------------------------------------------


def secrets_for(user) -> RenderSecrets:
    if type(user).render_secrets.is_cached(user):  # loaded with the user (signer_get)
        return user.render_secrets
    secrets_row, _ = RenderSecrets.objects.get_or_create(user=user)
    return secrets_row


def signer_cache_name(username: str) -> str:
    return f"signer:{username.lower()}"


_NOT_GIVEN = object()


def signer_get(*, username: str, entry=_NOT_GIVEN):
    """The active user who signed an image URL, with their secrets: from the shared hot-path cache
    (core.hotcache; rotating a secret, suspending the account or changing its plan forgets it on
    every node), else in one query that fills it. ``entry``: the cache's answer when the caller
    fetched it already (hotcache.get_many)."""
    username = username.lower()
    cache_name = signer_cache_name(username)
    if entry is _NOT_GIVEN:
        entry = hotcache.get(cache_name)
    if entry is not None:
        try:
            user = hotcache.instance_of(User, entry["user"])
            hotcache.relate(user, "render_secrets", hotcache.instance_of(RenderSecrets, entry["secrets"]))
            return user
        except KeyError:
            pass
    token = hotcache.fill_token()
    row = (
        RenderSecrets.objects.select_related("user")
        .filter(user__username=username, user__is_active=True)
        .first()
    )
    if row is not None:
        data = {"user": hotcache.row(row.user, exclude=USER_LEFT_OUT), "secrets": hotcache.row(row)}
        hotcache.fill(cache_name, account_id=row.user_id, token=token, data=data)
        return row.user  # row.user.render_secrets is row: select_related caches both directions
    return user_get_by_username(username=username)  # no secrets yet: secrets_for creates them


@transaction.atomic
def signing_secret_rotate(*, user) -> RenderSecrets:
    row = RenderSecrets.objects.select_for_update().get_or_create(user=user)[0]
    row.signing_secret = new_signing_secret()
    row.signing_rotated_at = timezone.now()
    row.save(update_fields=["signing_secret", "signing_rotated_at"])
    return row


@transaction.atomic
def webhook_secret_rotate(*, user) -> RenderSecrets:
    row = RenderSecrets.objects.select_for_update().get_or_create(user=user)[0]
    row.webhook_secret = new_webhook_secret()
    row.webhook_rotated_at = timezone.now()
    row.save(update_fields=["webhook_secret", "webhook_rotated_at"])
    return row


# --- signed image URLs -----------------------------------------------------------------------


def image_url_canonical(path: str, params: dict[str, str]) -> str:
    """What a URL's signature covers: the path and every parameter but ``sig``, sorted."""
    return path + "?" + urlencode(sorted((k, v) for k, v in params.items() if k != "sig"))


def _signature(secret: str, path: str, params: dict[str, str], canonical: str | None = None) -> str:
    canonical = canonical if canonical is not None else image_url_canonical(path, params)
    digest = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return digest[:40]


def _as_query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def image_url_sign(
    *,
    signer,
    template: Template,
    version: str,
    props: dict,
    fmt: str,
    scale: int = 1,
    base_url: str | None = None,
) -> str:
    """``/i/<owner>/<name>.<format>?<props>&v=<version>&sig=…``: covers template, version,
    format, scale and every prop, with the signer's secret (``u`` names a signer who is not the owner).
    ``base_url``: another origin serving the same path (a custom domain); the site's by default."""
    clash = URL_RESERVED_PARAMS & set(props)
    if clash:
        raise RenderFailed(
            f"Prop {sorted(clash)[0]!r} cannot be passed in an image URL (reserved parameter).",
            code="reserved_prop",
            status=400,
        )
    params = {name: _as_query_value(value) for name, value in props.items() if value is not None}
    params["v"] = version
    if scale != 1:
        params["scale"] = str(scale)
    if signer.pk != template.owner_id:
        params["u"] = signer.username
    path = f"/i/{template.owner.username}/{template.name}.{fmt}"
    params["sig"] = _signature(secrets_for(signer).signing_secret, path, params)
    return f"{base_url or settings.SITE_URL}{path}?{urlencode(params)}"


def image_url_verify(*, path: str, params: dict[str, str], signer, canonical: str | None = None) -> None:
    """``canonical``: image_url_canonical(path, params) when the caller has it already."""
    given = params.get("sig", "")
    expected = _signature(secrets_for(signer).signing_secret, path, params, canonical)
    if not given or not hmac.compare_digest(given, expected):
        raise BadSignature()
