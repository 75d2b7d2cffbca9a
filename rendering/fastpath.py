"""The cache-hit paths of ``POST /api/render`` and signed ``/i/`` URLs in one Redis round trip
(issue 14).

A hit needs an API key (or a signer) and a template, coherent across every process (core.hotcache:
their entries are checked against their account's generation in the same read), the rate-limit
count, and the render cache's index entry. The last two are keyed by things only those entries
say (the account and its plan, the version's checksum), so this module *guesses* them from what
this process saw for the same key and the same request, reads everything in one round trip
(hotcache.read), then checks every guess against the coherent entries:

- the render key is a pure function of the version's checksum and the request (props, format,
  scale, quality): a guess whose checksum is the version's is the key, anything else is computed
  again as before (render_image);
- the rate-limit counter was counted for the account and plan this key had: when the entry says
  otherwise (a revoked key, a suspended account, a new plan) the count is taken back
  (rate_limit_uncount) and the request goes the ordinary way.

Nothing here decides who may do what: the key's checks (accounts.authentication.key_accepted),
its scope, the template's visibility and the signature are the ordinary ones, on entries read in
this request. The memos only remember pure functions of their keys (a body's parse, a URL's
parse) and guesses that are checked, so no invalidation ever needs to reach them.

``POST /api/render`` answers here without DRF when the request is the ordinary case — an API key,
a JSON body whose fields are plainly valid, no Idempotency-Key, no content negotiation — and
hands every other request (a JWT, a body DRF would refuse or coerce, an unreadable key) to the
DRF view untouched: the schema, the errors and their JSON stay DRF's."""

from __future__ import annotations

import copy
import json
import time
from functools import update_wrapper
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.json import strict_constant

from accounts import keycache, keyformat
from accounts.acting import ACCOUNT_META_KEY
from accounts.authentication import key_accepted
from billing.plans import plan_limits
from core import hotcache
from core.errors import ApiError, error_body
from core.memo import Memo
from core.ratelimit import counter_for, rate_limit_counted, rate_limit_hit, rate_limit_uncount
from loopwind import engine
from rendering import services
from rendering.apis import RenderApi, deprecation_headers, image_response
from templates_registry import cache as template_cache

MAX_MEMO_KEY = 4096  # bodies and query strings longer than this are parsed every time
_bodies = Memo(2048)  # request body -> _Input
_accounts = Memo(2048)  # API key hash -> (user id, plan code) as last seen: the rate-limit guess
urls = Memo(2048)  # signed URLs: (username, filename, query string) -> rendering.views._Url


class _Input:
    """A render request's fields, validated as RenderInput would, and this process's guess of its
    render key: (version checksum, key)."""

    __slots__ = ("template", "version", "props", "format", "scale", "quality", "guess")

    def __init__(self, template, version, props, fmt, scale, quality):
        self.template, self.version, self.props = template, version, props
        self.format, self.scale, self.quality = fmt, scale, quality
        self.guess: tuple[str, str] | None = None


def _text(value, max_length: int) -> str | None:
    """A CharField's value when DRF would take it as is (after trimming), else None."""
    if type(value) is not str:
        return None
    value = value.strip()
    if (
        not value
        or len(value) > max_length
        or "\x00" in value
        or not value.isprintable()
        and _surrogates(value)
    ):
        return None
    return value


def _surrogates(value: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in value)


def _integer(value, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _parse_input(body: bytes) -> _Input | None:
    """The body when it is plainly valid RenderInput JSON (DRF would take it unchanged), else None:
    DRF then parses it again and says what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=strict_constant)
    except ValueError:
        return None
    if type(data) is not dict:
        return None
    template = _text(data.get("template"), 200)
    version = _text(data["version"], 64) if "version" in data else "latest"
    props = data.get("props", {})
    fmt = data.get("format", "png")
    scale = data.get("scale", 1)
    quality = data.get("quality")
    if template is None or version is None or type(props) is not dict:
        return None
    if type(fmt) is not str or fmt not in engine.IMAGE_FORMATS:
        return None
    if not _integer(scale, engine.MIN_SCALE, engine.MAX_SCALE):
        return None
    if quality is not None and not _integer(quality, 1, 100):
        return None
    return _Input(template, version, props, fmt, scale, quality)


def _bearer_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.isascii():
        return None
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer" or not keyformat.is_well_formed(parts[1]):
        return None
    return parts[1]


class _PlanOf(NamedTuple):
    """What billing.plans.plan_limits reads of a user: their plan code."""

    plan: str


_ACCEPTED = ("", "*/*", "application/json")
_DRF_HEADERS = {"Allow": "POST, OPTIONS"}  # what DRF's finalize_response adds to RenderApi's answers


def _api_error(exc: ApiError) -> HttpResponse:
    """The error as core.errors.api_exception_handler answers it through DRF."""
    body = JSONRenderer().render(error_body(exc.code, exc.message, exc.details))
    response = HttpResponse(body, status=exc.status, content_type="application/json")
    headers = dict(exc.headers)
    if exc.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    for name, value in {**headers, **_DRF_HEADERS}.items():
        response[name] = value
    return response


def _lean_render(request) -> HttpResponse | None:
    """The answer to an ordinary API-key render, or None: the DRF view answers (nothing was
    counted or written then)."""
    started = time.perf_counter()
    if (
        request.method != "POST"
        or request.content_type != "application/json"
        or request.content_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8")
        or request.META.get("QUERY_STRING")  # DRF reads ?format= (content negotiation)
        or request.META.get("HTTP_ACCEPT", "") not in _ACCEPTED
        or "HTTP_IDEMPOTENCY_KEY" in request.META
        or ACCOUNT_META_KEY in request.META  # whom the request acts for: accounts.acting decides
    ):
        return None
    raw_key = _bearer_key(request)
    if raw_key is None:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return None
    data = _bodies.get(body)
    if data is None:
        data = _parse_input(body)
        if data is None:
            return None
        if len(body) <= MAX_MEMO_KEY:
            _bodies.put(body, data)
    template_name = template_cache.cache_name_for_ref(data.template)
    if template_name is None:
        return None

    digest = keyformat.hash_key(raw_key)
    account = _accounts.get(digest)  # (user id, plan code) this key had last time
    counter = None
    if account is not None and settings.RATE_LIMITS_ENABLED:
        per_minute = plan_limits(_PlanOf(account[1])).requests_per_minute
        counter = counter_for(f"user:{account[0]}", f"{per_minute}/m")
    guess = data.guess
    gets = [services.render_cache_entry_key(guess[1])] if guess else []
    read = hotcache.read([keycache.cache_name(digest), template_name], gets=gets,
                         counter=counter and (counter.key, counter.expiry))  # fmt: skip
    if read is None:  # Redis unavailable: nothing counted, the ordinary path reads the database
        return None
    key = keycache.key_from_entry(read.entries[0], read.token)
    user = key.user if key is not None else None
    if (
        key is None
        or key.revoked_at is not None
        or not user.is_active
        or (
            counter is not None
            and (account[0] != user.pk or counter.limit != plan_limits(user).requests_per_minute)
        )
    ):
        if counter is not None:
            rate_limit_uncount(counter)  # counted in a bucket that is not (or no longer) this key's
        return None
    try:
        user, key = key_accepted(key, digest)
    except ApiError:
        if counter is not None:
            rate_limit_uncount(counter)
        return None
    _accounts.put(digest, (user.pk, user.plan))
    request.user, request.auth = user, key
    try:
        if counter is not None:
            rate_limit_counted(request, read.count, counter.limit, counter.window - int(time.time()))
        else:
            rate_limit_hit(
                request, identity=f"user:{user.pk}", per_minute=plan_limits(user).requests_per_minute
            )
        if RenderApi.required_scopes not in key.scopes:
            return None  # DRF's permission answers the 403 (counted already: the throttle sees the state)
        template = template_cache.template_for_render(ref=data.template, viewer=user, entry=read.entries[1])
        version = template_cache.version_for_render(template=template, version=data.version)
        result = None
        if guess is not None and guess[0] == version.checksum:
            result = services.render_hit(
                key=guess[1], raw_entry=read.values[0], fmt=data.format, started=started
            )
        if result is None:
            result = services.render_image(
                user=user, template=template, version=version, props=copy.deepcopy(data.props),
                fmt=data.format, scale=data.scale, quality=data.quality,
            )  # fmt: skip
            data.guess = (version.checksum, result.cache_key)
    except ApiError as exc:
        return _api_error(exc)
    response = image_response(result, data.format)
    for name, value in {**deprecation_headers(template, version), **_DRF_HEADERS}.items():
        response[name] = value
    return response


_drf_render = RenderApi.as_view()


def render_sync(request, *args, **kwargs):
    """``POST /api/render``: the lean hit path when it applies, else RenderApi through DRF."""
    response = _lean_render(request)
    if response is not None:
        return response
    return _drf_render(request, *args, **kwargs)


# drf-spectacular and the CSRF middleware read the DRF view's attributes (cls, initkwargs, csrf_exempt)
update_wrapper(render_sync, _drf_render)
