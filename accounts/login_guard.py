"""Brute-force protection for password sign-in, shared by the API and the website.

Failures are counted in the cache (Redis in production, so every process sees the same
counts) per account and per client IP, in fixed windows. When either count reaches its
limit, sign-in is refused with 429 and Retry-After before the password is even checked,
so a locked account reveals nothing about a guessed password."""

import logging

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from accounts.normalize import email_normalize
from core.errors import TooManyRequests

logger = logging.getLogger(__name__)


class TooManyLoginAttempts(TooManyRequests):
    code = "too_many_login_attempts"


def _usages(request, email: str, *, increment: bool):
    account = email_normalize(email)  # the form the account is looked up by
    try:
        return _counts(request, account, increment=increment)
    except Exception:  # the cache is down: sign-in keeps working, unguarded, and it is logged
        logger.warning("login failure counters unavailable", exc_info=True)
        return []


def _counts(request, account: str, *, increment: bool):
    return [
        get_usage(
            request,
            group="login-failures-account",
            key=lambda group, req: account,
            rate=settings.LOGIN_FAILURES_PER_ACCOUNT,
            method=ALL,
            increment=increment,
        ),
        get_usage(
            request,
            group="login-failures-ip",
            key="ip",
            rate=settings.LOGIN_FAILURES_PER_IP,
            method=ALL,
            increment=increment,
        ),
    ]


def login_allowed_or_raise(request, email: str) -> None:
    for usage in _usages(request, email, increment=False):
        if usage and usage["count"] >= usage["limit"]:
            retry_after = int(usage["time_left"]) or 1
            raise TooManyLoginAttempts(
                f"Too many failed sign-in attempts. Try again in {retry_after} seconds.",
                retry_after=retry_after,
            )


def login_failed(request, email: str) -> None:
    _usages(request, email, increment=True)
