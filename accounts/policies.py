"""Limits the plans set on accounts. Plans live above accounts (billing), so billing hands its
numbers over at start-up (BillingConfig.ready) and accounts asks here; accounts never imports billing.
Without a source registered nothing is limited."""

from __future__ import annotations

from collections.abc import Callable

_api_key_limit: Callable[[object], int | None] = lambda user: None  # noqa: E731


def api_key_limit_source(source: Callable[[object], int | None]) -> None:
    """``source(user)`` → how many active API keys the user's plan allows (None: no limit)."""
    global _api_key_limit
    _api_key_limit = source


def api_key_limit(user) -> int | None:
    return _api_key_limit(user)
