"""The loopwind.dev SDK: ``from loopwind import Loopwind`` (sync) or ``AsyncLoopwind``."""

from .aio import AsyncJob, AsyncLoopwind
from .client import Job, Loopwind
from .errors import (
    APIConnectionError,
    AuthError,
    BadRequest,
    Conflict,
    JobCancelled,
    LoopwindDeprecationWarning,
    LoopwindError,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    RenderFailed,
    ServerError,
    WaitTimeout,
    WebhookVerificationError,
)

__all__ = [
    "APIConnectionError",
    "AsyncJob",
    "AsyncLoopwind",
    "AuthError",
    "BadRequest",
    "Conflict",
    "Job",
    "JobCancelled",
    "Loopwind",
    "LoopwindDeprecationWarning",
    "LoopwindError",
    "NotFound",
    "PermissionDenied",
    "QuotaExceeded",
    "RateLimited",
    "RenderFailed",
    "ServerError",
    "WaitTimeout",
    "WebhookVerificationError",
]
