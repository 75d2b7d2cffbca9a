"""The template page's "try it": who a render is billed to, what it is limited by, and the async video
render a signed-in visitor starts. The renders themselves are the rendering app's services, the same
ones the API calls.

Policy: signed-in visitors render through their own quota and their plan's rate limit; signed-out
visitors bill nobody (the author's quota would be spendable by strangers) and are limited per IP
(``TRY_IT_ANON_RATE``). Only renders that cost something count against a limit: the live preview asks
again as the visitor types, and a repeat (the render cache) is free."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from billing.plans import plan_limits
from core.ratelimit import client_ip, rate_limit_hit
from loopwind import engine
from rendering import jobs
from rendering import services as rendering
from rendering.bundles import bundle_for
from rendering.models import RenderJob


@dataclass
class TryResult:
    output_name: str
    cache_hit: bool
    duration_ms: int
    still_at: float | None  # a video template's preview is one frame, at this time


def still_time(version) -> float | None:
    """The frame a video template's live preview shows: the middle, like its published preview."""
    video = (version.manifest or {}).get("video")
    return float(video["duration"]) / 2 if video else None


def try_render(*, request, template, version, props: dict) -> TryResult:
    """Renders ``props`` (text from the form) as a PNG, or answers from the render cache: only a
    render that costs something spends the visitor's rate limit (hits are free)."""
    still_at = still_time(version) if template.type == "video" else None
    if request.user.is_authenticated:
        renderer, slot = request.user, None  # the account's own renders-in-flight slots
        identity, rate = f"user:{renderer.pk}", f"{plan_limits(renderer).requests_per_minute}/m"
    else:  # billed to nobody: limited per IP, one render at a time
        renderer, slot = template.owner, (f"renders:ip:{client_ip(request)}", 1)
        identity, rate = f"try:ip:{client_ip(request)}", settings.TRY_IT_ANON_RATE
    result = rendering.render_image(
        user=renderer, template=template, version=version, props=props, fmt="png", source="web",
        count_quota=request.user.is_authenticated, props_are_text=True, still_at=still_at,
        before_rendering=lambda: rate_limit_hit(request, identity=identity, rate=rate, headers=False),
        in_flight=slot,
    )  # fmt: skip
    return TryResult(result.output_name, result.cache_hit, result.duration_ms, still_at)


def video_render_start(*, request, template, version, props: dict, fmt: str = "mp4") -> RenderJob:
    """Queues the full video with the signed-in visitor's props, as POST /api/render/async does (the
    plan's rate limit, the quota counted when accepted, its video length and queue priority)."""
    user = request.user
    rate_limit_hit(
        request, identity=f"user:{user.pk}", rate=f"{plan_limits(user).requests_per_minute}/m", headers=False
    )
    typed = engine.props_from_text(bundle_for(version).props, props)
    job = jobs.render_job_create(user=user, template=template, version=version, props=typed, fmt=fmt)
    jobs.render_job_enqueue(job=job)
    return job


_PROP_NAMED = re.compile(r"^Prop '([^']+)': ")
_MISSING = re.compile(r"^Missing required prop '([^']+)'\.")
_UNKNOWN = re.compile(r"^Unknown prop '([^']+)'; this template takes: ")
_WORD = re.compile(r"\b([Pp])rop(s?)\b")


def visitor_message(message: str) -> str:
    """An engine message in the words of the try-it form, where a visitor sees fields, not props:
    "Prop 'title': expected a string." → "Field “title”: expected a string."."""
    message = _PROP_NAMED.sub(lambda m: f"Field \u201c{m[1]}\u201d: ", message)
    message = _MISSING.sub(lambda m: f"Fill in \u201c{m[1]}\u201d: it is required.", message)
    message = _UNKNOWN.sub(lambda m: f"This template has no field \u201c{m[1]}\u201d; its fields: ", message)
    return _WORD.sub(lambda m: ("F" if m[1] == "P" else "f") + "ield" + m[2], message)
