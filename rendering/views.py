"""Signed image URLs: ``GET /i/<username>/<template>.<format>?<props>&v=…&sig=…``, for <img>
tags and og:image, with no Authorization header. The signature is the authorization."""

import time
from typing import NamedTuple

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.http import require_GET

from billing.plans import plan_limits
from core import files as stored_files
from core import hotcache, requestfacts
from core.errors import ApiError, NotFound, json_errors
from core.ratelimit import rate_limit_hit
from loopwind import engine
from rendering import fastpath, services
from rendering.apis import deprecation_headers, image_response
from templates_registry import cache as template_cache

LONG_CACHE = "public, max-age=31536000, immutable"


class _Url:
    """A signed URL's parse (pure: memoized per process by path and query), and this process's
    guess of its render key, (version checksum, key), checked against the version before use."""

    __slots__ = ("params", "props", "scale", "canonical", "guess", "answer")

    def __init__(self, params: dict[str, str], scale: int, canonical: str):
        self.params, self.scale, self.canonical = params, scale, canonical
        self.props = {key: value for key, value in params.items() if key not in services.URL_RESERVED_PARAMS}
        self.guess: tuple[str, str] | None = None
        self.answer: _Answer | None = None


class _Answer(NamedTuple):
    """A hit's answer to this URL, made from ``read``: the same read (core.nearcache hands out one
    object while nothing it holds has changed) gives the same answer, so it is replayed without
    rebuilding the signer, checking the signature, the template's visibility and the version again."""

    read: hotcache.Read
    facts: dict  # what the view noted (core.requestfacts: account, template, format, cache)
    output_name: str  # the bytes are read by name (services.output_read: memory bounded by size)
    headers: dict[str, str]  # every header the view set but X-Render-Duration
    fmt: str


def _parse(request, path: str) -> _Url:
    if any(len(values) > 1 for _, values in request.GET.lists()):
        raise ApiError("Each parameter may appear once.", code="duplicate_parameter")
    params = {key: request.GET[key] for key in request.GET}
    scale_text = params.get("scale", "1")
    scale = int(scale_text) if scale_text.isascii() and scale_text.isdigit() else 0
    return _Url(params, scale, services.image_url_canonical(path, params))


@require_GET
@json_errors
def signed_image(request, username: str, filename: str):
    started = time.perf_counter()
    name, _, fmt = filename.rpartition(".")
    if fmt not in engine.IMAGE_FORMATS or not name:
        raise NotFound("Unknown image format.")
    query = request.META.get("QUERY_STRING", "")
    memo_key = (username, filename, query)
    path = f"/i/{username}/{filename}"
    url = fastpath.urls.get(memo_key)
    if url is None:
        url = _parse(request, path)
        if len(query) <= fastpath.MAX_MEMO_KEY:
            fastpath.urls.put(memo_key, url)
    params = url.params
    signer_name = params.get("u") or username
    guess = url.guess
    # The signer, the template and (when this process has seen this URL) the render cache's
    # entry from the shared cache in one round trip; the entries are checked against their
    # accounts' generations in it (core.hotcache), the render key against the version below.
    read = hotcache.read(
        [services.signer_cache_name(signer_name), template_cache.template_cache_name(username, name)],
        gets=[services.render_cache_entry_key(guess[1])] if guess else [],
        near=True,  # no round trip while nothing it read has changed (core.nearcache)
    )
    etags = _etags(request)
    answer = url.answer
    if answer is not None and read is not None and answer.read is read and not etags:
        replayed = _replayed(answer, started)
        if replayed is not None:
            return replayed
    signer_entry, template_entry = read.entries if read is not None else (None, None)
    signer = services.signer_get(username=signer_name, entry=signer_entry)
    if signer is None:
        raise services.BadSignature()
    requestfacts.note(account=signer.pk, format=fmt)  # the URL's signer is whose traffic it is
    services.image_url_verify(path=path, params=params, signer=signer, canonical=url.canonical)
    template = template_cache.template_for_render(username=username, name=name, viewer=signer,
                                                  entry=template_entry)  # fmt: skip
    version = template_cache.version_for_render(template=template, version=params.get("v"))
    scale = url.scale
    if not engine.MIN_SCALE <= scale <= engine.MAX_SCALE:
        raise ApiError(
            f"scale must be a whole number from {engine.MIN_SCALE} to {engine.MAX_SCALE}.",
            code="invalid_scale",
        )
    result = None
    if guess is not None and guess[0] == version.checksum:  # the same bundle and request: the same key
        if guess[1] in etags or "*" in etags:
            requestfacts.note(cache="hit")
            result = services.RenderResult(b"", engine.CONTENT_TYPES[fmt], "", True, 0, guess[1], "",
                                           not_modified=True)  # fmt: skip
        elif read is not None:
            result = services.render_hit(key=guess[1], raw_entry=read.values[0], fmt=fmt, started=started)

    # Uncached renders of a signer's URLs count in a bucket of their own (the plan's
    # image_url_renders_per_minute), never the signer's API limit: anyone can load a page carrying
    # an og:image, and strangers must not lock its owner out of the API. Cache hits are free.
    def count_render():
        per_minute = plan_limits(signer).image_url_renders_per_minute
        rate_limit_hit(request, identity=f"imgurl:{signer.pk}", per_minute=per_minute, headers=False)

    if result is None:
        result = services.render_image(
            user=signer, template=template, version=version, props=dict(url.props), fmt=fmt, scale=scale,
            source="url", props_are_text=True, before_rendering=count_render, etags=etags,
        )  # fmt: skip
        url.guess = (version.checksum, result.cache_key)
    if result.not_modified:
        # Answered before the render cache and storage are read: the ETag is the render's key, a hash
        # of everything that determines the bytes (bundle checksum, props, format, scale).
        response = HttpResponseNotModified()
        response["ETag"] = f'"{result.cache_key}"'
    else:
        response = image_response(result, fmt)
    for header, value in deprecation_headers(template, version).items():
        response[header] = value
    pinned = params.get("v") not in (None, "", "latest")
    response["Cache-Control"] = LONG_CACHE if pinned else "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    # No X-RateLimit-* here: the answer is cacheable (a CDN would serve one caller's numbers to all).
    # X-Request-Id and X-Render-Duration are per request: the README's production checklist says to
    # strip them at the CDN (or not cache them) along with Set-Cookie.
    if result.cache_hit and not result.not_modified and read is not None and url.guess is not None:
        headers = {name: value for name, value in response.items() if name != "X-Render-Duration"}
        facts = requestfacts.current() or {}
        noted = {name: facts[name] for name in ("account", "template", "format", "cache") if name in facts}
        url.answer = _Answer(read, noted, result.output_name, headers, fmt)
    return response


def _replayed(answer: _Answer, started: float) -> HttpResponse | None:
    """The kept answer again, or None when its output can no longer be read (answered the usual way)."""
    try:
        content = services.output_read(answer.output_name)
    except (FileNotFoundError, stored_files.StorageUnavailable):
        return None
    requestfacts.note(**answer.facts)
    response = HttpResponse(content)
    for name, value in answer.headers.items():
        response[name] = value
    services.observe_hit(answer.fmt, started)
    response["X-Render-Duration"] = f"{services.ms_since(started)}ms"
    return response


def _etags(request) -> frozenset[str]:
    """The If-None-Match entity tags, unquoted, weak ones included (RFC 9110 compares weakly here)."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    if not header:
        return frozenset()
    tags = parse_etags(header)
    return frozenset(tag.removeprefix("W/").strip('"') for tag in tags)
