"""Reads for accounts."""

from django.db.models import QuerySet

from accounts.models import ApiKey, DeviceAuthorization, User


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user, revoked_at=None).order_by("-created_at")


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username.lower(), is_active=True).first()


def device_authorization_pending(*, user_code: str) -> DeviceAuthorization | None:
    """The pending, unexpired device sign-in with this (normalized) user code, if any."""
    if not user_code:
        return None
    grant = DeviceAuthorization.objects.filter(
        user_code=user_code, status=DeviceAuthorization.Status.PENDING
    ).first()
    return None if grant is None or grant.is_expired else grant
