"""Which usernames may not be taken. Profiles live at /<username>, so a username equal to a route's
first segment (``files``, ``device``, ``pricing`` …) would be shadowed by it, and one that looks
like a reserved name (``l00pwind``, ``admín``) would pass for the official account or the staff."""

from __future__ import annotations

import functools
import re

from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import RESERVED_USERNAMES, USERNAME_PATTERN
from accounts.normalize import username_skeleton

_LEADING_LITERAL = re.compile(r"\^?([a-z0-9][a-z0-9-]*)(?:/|$|\\Z|\$)")


def _first_segments(patterns) -> set[str]:
    """The literal first path segment of every route, following includes mounted at the root."""
    segments: set[str] = set()
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver) and route in ("", "^"):
            segments |= _first_segments(pattern.url_patterns)
            continue
        if isinstance(pattern, URLPattern | URLResolver):
            match = _LEADING_LITERAL.match(route)
            if match:
                segments.add(match.group(1))
    return segments


@functools.cache
def reserved_usernames() -> frozenset[str]:
    """The reserved words plus the first segment of every route the site serves, so a new route
    reserves its name without anyone remembering to add it."""
    return RESERVED_USERNAMES | _first_segments(get_resolver().url_patterns)


@functools.cache
def _reserved_skeletons() -> frozenset[str]:
    return frozenset(username_skeleton(name) for name in reserved_usernames())


def username_is_reserved(username: str) -> bool:
    return username in reserved_usernames() or username_skeleton(username) in _reserved_skeletons()


def username_is_valid(username: str) -> bool:
    return bool(re.fullmatch(USERNAME_PATTERN, username)) and not username_is_reserved(username)
