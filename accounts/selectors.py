"""Reads for accounts."""

from django.db.models import QuerySet

from accounts.models import ApiKey, DeviceAuthorization, User


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user, revoked_at=None).order_by("-created_at")


TOKEN_GENERATION_CLAIM = "gen"  # noqa: S105  (a claim name, not a secret)


def token_generation_current(*, user_id: int, user: User | None = None) -> int:
    """The account's token generation: JWTs issued under an older one are refused. With the row
    the request already loaded, no query. Called on every JWT request, so keep it cheap."""
    if user is not None:
        return user.token_generation
    return User.objects.filter(pk=user_id).values_list("token_generation", flat=True).first() or 0


def token_is_current(*, token, user: User) -> bool:
    return int(token.get(TOKEN_GENERATION_CLAIM, 0)) >= token_generation_current(user_id=user.pk, user=user)


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
