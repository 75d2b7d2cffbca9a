"""Writes for accounts: registration, sign-in, tokens, API keys and CLI device login."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import audit, keycache, keyformat, policies, selectors
from accounts.errors import (
    DeviceFlowError,
    EmailTaken,
    InvalidCredentials,
    InvalidRefreshToken,
    KeyLimit,
    UnknownScope,
    UsernameTaken,
)
from accounts.login_guard import login_allowed_or_raise, login_failed
from accounts.models import (
    API_KEY_SCOPES,
    ApiKey,
    DeviceAuthorization,
    User,
)
from accounts.normalize import email_normalize
from accounts.usernames import username_is_valid
from core import files as stored_files
from core import hotcache
from core.errors import ApiError, NotFound
from core.ratelimit import client_ip, rate_limit_hit

LAST_USED_RESOLUTION = timedelta(minutes=1)
DEFAULT_KEY_SCOPES = ["render:read", "render:write", "templates:read"]


# --- users -----------------------------------------------------------------------------------


def _username_from_email(email: str) -> str:
    """A free, valid username derived from the email's local part (``Jane.Doe+x@`` → ``jane-doe-x``)."""
    base = re.sub(r"[^a-z0-9]+", "-", email.split("@", 1)[0].lower()).strip("-")[:32] or "user"
    if len(base) < 2:
        base = f"{base}-user"
    candidate = base
    while not username_is_valid(candidate) or User.objects.filter(username=candidate).exists():
        candidate = f"{base}-{secrets.randbelow(10_000)}"
    return candidate


@transaction.atomic
def user_register(
    *, email: str, password: str, name: str = "", username: str | None = None, request=None
) -> User:
    """A new account, from the API or the sign-up page. With the ``request`` it came in, sign-ups
    are limited per client IP (REGISTRATIONS_PER_IP), whichever of the two it came through."""
    if request is not None:
        rate_limit_hit(
            request,
            identity=f"register:{client_ip(request)}",
            rate=settings.REGISTRATIONS_PER_IP,
            headers=False,
        )
    email = User.objects.normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise EmailTaken()
    if username:
        username = username.strip().lower()
        if not username_is_valid(username):
            raise ApiError(
                "Usernames are 2–39 lowercase letters, digits or dashes, start with a letter or digit, "
                "and may not be a reserved word.",
                code="invalid_username",
                details={"fields": {"username": ["Invalid or reserved username."]}},
            )
        if User.objects.filter(username=username).exists():
            raise UsernameTaken()
    else:
        username = _username_from_email(email)
    user = User(email=email, username=username, name=name.strip())
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ApiError(
            " ".join(exc.messages),
            code="weak_password",
            details={"fields": {"password": exc.messages}},
        ) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration won the race
        if User.objects.filter(email=email).exists():
            raise EmailTaken() from exc
        raise UsernameTaken() from exc
    return user


PROFILE_FIELDS = frozenset({"name", "bio", "avatar_url"})  # what a profile edit may change, person or org


@transaction.atomic
def user_update(*, user: User, **fields) -> User:
    changed = [key for key, value in fields.items() if key in PROFILE_FIELDS and value is not None]
    for key in changed:
        setattr(user, key, fields[key].strip() if isinstance(fields[key], str) else fields[key])
    if changed:
        user.save(update_fields=[*changed, "updated_at"])
    return user


# --- email change, avatar, deactivation ------------------------------------------------------

EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_CHANGE_MAX_AGE = timedelta(days=2)


class EmailChangeInvalid(ApiError):
    status = 400
    code = "email_change_invalid"
    message = "This confirmation link is invalid or has expired. Ask for a new one from your settings."


def email_change_request(*, user: User, new_email: str) -> str:
    """Mails a signed link, good for EMAIL_CHANGE_MAX_AGE, to the NEW address; the account's email
    changes only when it is opened (email_change_confirm). The link is built from settings.SITE_URL,
    never from the request's Host. The token names the current address too, so it dies once the
    email changes. Returns the link (for the caller's tests and logs)."""
    email = email_normalize(new_email)
    if User.objects.filter(email=email).exclude(pk=user.pk).exists():
        raise EmailTaken()
    token = signing.dumps({"u": user.public_id, "old": user.email, "new": email}, salt=EMAIL_CHANGE_SALT)
    link = settings.SITE_URL + reverse("settings-email-confirm", args=[token])
    body = render_to_string(
        "accounts/email_change_email.txt", {"user": user, "new_email": email, "link": link,
                                            "hours": int(EMAIL_CHANGE_MAX_AGE.total_seconds() // 3600)}
    )  # fmt: skip
    send_mail("Confirm your new email for loopwind", body, None, [email])
    return link


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    """Applies a change mailed by email_change_request: refused when tampered, expired, already used
    (the account's email is no longer the one it names) or when the address was taken since."""
    try:
        claims = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        raise EmailChangeInvalid() from None
    user = User.objects.select_for_update().filter(public_id=claims.get("u"), is_active=True).first()
    if user is None or user.email != claims.get("old"):
        raise EmailChangeInvalid()
    if User.objects.filter(email=claims["new"]).exclude(pk=user.pk).exists():
        raise EmailTaken()
    user.email = claims["new"]
    user.save(update_fields=["email", "updated_at"])
    body = render_to_string("accounts/email_changed_email.txt", {"user": user, "old": claims["old"],
                                                                 "site_url": settings.SITE_URL})  # fmt: skip
    transaction.on_commit(lambda: send_mail("Your loopwind email was changed", body, None, [claims["old"]]))
    return user


AVATAR_MAX_BYTES = 1024 * 1024
AVATAR_TYPES = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


def avatar_name(content: bytes, ext: str) -> str:
    return f"avatars/{hashlib.sha256(content).hexdigest()[:32]}.{ext}"


def avatar_set(*, user: User, content: bytes, ext: str) -> User:
    """Stores an avatar (already checked for size and type by the caller's form) in the project's
    storage under a content-addressed name, and points the profile at the site URL serving it."""
    name = avatar_name(content, ext)
    stored_files.file_save(name, content)  # False: the same picture is stored already
    user.avatar_url = settings.SITE_URL + reverse("avatar", args=[name.split("/", 1)[1]])
    user.save(update_fields=["avatar_url", "updated_at"])
    return user


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Deletes an account as far as anyone can tell: API keys revoked first, every token and session
    ended, the profile emptied, sign-in impossible and the email freed for a new sign-up. The row
    stays so the username (and with it every template slug it published) cannot be taken over."""
    ApiKey.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    hotcache.forget(user.pk)  # .update() sends no post_save: every node's cached key goes now
    user_sign_out_everywhere(user=user)
    user.email = f"deleted+{user.public_id}@deleted.invalid"
    user.name = user.bio = user.avatar_url = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


# --- sign-in and tokens ----------------------------------------------------------------------


def tokens_for_user(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[selectors.TOKEN_GENERATION_CLAIM] = user.token_generation  # copied into the access token
    return {"token": str(refresh.access_token), "refreshToken": str(refresh)}


def user_login(*, request, email: str, password: str) -> User:
    login_allowed_or_raise(request, email)
    user = authenticate(request, email=email.strip(), password=password)
    if user is None:
        login_failed(request, email)
        raise InvalidCredentials()
    return user


def _verified_refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # checks signature, expiry, type and the blacklist
    except TokenError as exc:
        raise InvalidRefreshToken() from exc


def _refresh_token_row(raw: str) -> OutstandingToken | None:
    """The issued refresh token ``raw`` names, blacklisted or not; its signature, expiry and type
    are checked."""
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendError as exc:
        raise InvalidRefreshToken() from exc
    if payload.get(api_settings.TOKEN_TYPE_CLAIM) != "refresh" or not payload.get(api_settings.JTI_CLAIM):
        raise InvalidRefreshToken()
    return OutstandingToken.objects.filter(jti=payload[api_settings.JTI_CLAIM]).first()


@transaction.atomic
def token_refresh(*, refresh_token: str) -> dict[str, str]:
    """Rotate: the presented refresh token is blacklisted and a new pair issued. The row lock
    makes two concurrent uses of one token yield one new pair, not two."""
    token = _verified_refresh_token(refresh_token)
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(jti=token["jti"])
        .first()
    )
    if outstanding is None or outstanding.user is None or not outstanding.user.is_active:
        raise InvalidRefreshToken()
    if not selectors.token_is_current(token=token, user=outstanding.user):
        raise InvalidRefreshToken()
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not created:
        raise InvalidRefreshToken()
    return tokens_for_user(outstanding.user)


@transaction.atomic
def user_logout(*, refresh_token: str | None, user: User | None) -> None:
    """With a refresh token, that session ends. Without one, every session of the caller ends.
    Idempotent, as the spec's 204 says: a session already ended, or no caller and no token, is
    nothing to do. A token that is forged, expired or someone else's is still refused."""
    if refresh_token:
        outstanding = _refresh_token_row(refresh_token)
        if outstanding is None or (user is not None and outstanding.user_id != user.pk):
            raise InvalidRefreshToken()
        BlacklistedToken.objects.get_or_create(token=outstanding)
        return
    if user is None:
        return
    user_sign_out_everywhere(user=user)


def _tokens_revoke(*, user: User) -> None:
    """Access tokens are refused from now on (a new token generation), refresh tokens blacklisted."""
    User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
    user.token_generation = User.objects.values_list("token_generation", flat=True).get(pk=user.pk)
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken=None)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in live], ignore_conflicts=True)


@transaction.atomic
def user_sign_out_everywhere(*, user: User, keep_session_key: str | None = None) -> None:
    """Sign out everywhere: every access and refresh token of the account is refused and its website
    sessions end (all but ``keep_session_key``, the one asking, if it should stay)."""
    _tokens_revoke(user=user)
    user_sessions_end(user=user, keep_session_key=keep_session_key)


def user_password_changed(*, user: User) -> None:
    """After any password change or reset (User.save sends it): the access and refresh tokens issued
    under the old password are refused. Website sessions signed in under the old password are ended by
    Django itself (a session keeps a hash of the password and is flushed when it no longer
    matches; the session making the change keeps itself via update_session_auth_hash)."""
    _tokens_revoke(user=user)


def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Ends the user's website sessions (all but ``keep_session_key``). Sessions store the user id
    signed inside their data, so they are found by decoding the live ones."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep_session_key:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


# --- API keys ---------------------------------------------------------------------------------


def api_key_create(
    *,
    user: User,
    name: str,
    scopes: list[str] | None = None,
    raw_key: str | None = None,
    actor: User | None = None,
) -> tuple[ApiKey, str]:
    """Returns the key row and the whole key, which is never stored and never shown again.
    ``raw_key`` is for the demo data only (a key derived from SECRET_KEY, the same on every run)."""
    scopes = list(dict.fromkeys(scopes if scopes is not None else DEFAULT_KEY_SCOPES))
    unknown = [scope for scope in scopes if scope not in API_KEY_SCOPES]
    if unknown:
        raise UnknownScope(
            f"Unknown scope {unknown[0]!r}. Scopes are: {', '.join(API_KEY_SCOPES)}.",
            details={"unknown": unknown, "allowed": list(API_KEY_SCOPES)},
        )
    if not scopes:
        raise UnknownScope("A key needs at least one scope.", details={"allowed": list(API_KEY_SCOPES)})
    raw = raw_key or keyformat.generate_key()
    with transaction.atomic():
        # Keys share the account's rate limit, and the plan caps how many there are: counted under the
        # account's row lock, so concurrent requests cannot pass the cap.
        User.objects.select_for_update().filter(pk=user.pk).first()
        limit = policies.api_key_limit(user)
        active = ApiKey.objects.filter(user=user, revoked_at=None).count()
        if limit is not None and active >= limit:
            raise KeyLimit(
                f"Your plan allows {limit} active API keys; revoke one or upgrade.",
                details={"limit": limit, "active": active},
            )
        key = ApiKey.objects.create(
            user=user,
            name=name.strip(),
            prefix=keyformat.display_prefix(raw),
            key_hash=keyformat.hash_key(raw),
            scopes=scopes,
            created_by=actor or user,
        )
        audit.record(account=user, actor=actor, action="key.created", target=f"{key.name} ({key.prefix}…)",
                     scopes=scopes)  # fmt: skip
    return key, raw


def api_key_revoke(*, user: User, key_id: str, actor: User | None = None) -> None:
    key = ApiKey.objects.filter(user=user, public_id=key_id, revoked_at=None).first()
    updated = key and ApiKey.objects.filter(pk=key.pk, revoked_at=None).update(revoked_at=timezone.now())
    if not updated:
        raise NotFound("No such API key.")
    hotcache.forget(user.pk)  # .update() sends no post_save: every node's cached key goes now
    audit.record(account=user, actor=actor, action="key.revoked", target=f"{key.name} ({key.prefix}…)")


def api_key_mark_used(*, key: ApiKey) -> None:
    """lastUsed is kept to the minute: at most one write per key a minute, whatever the traffic."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # The key may come from the hot-path cache with an old last_used_at: a marker in the shared
        # cache keeps it to one write a minute across every process (no cache: write as before).
        try:
            first = cache.add(f"key-used:{key.pk}", 1, timeout=int(LAST_USED_RESOLUTION.total_seconds()))
        except Exception:
            first = True
        if first:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        keycache.remember_use(key)


# --- CLI device login (RFC 8628 style) -------------------------------------------------------

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels (no words), no lookalikes


def _hash_device_code(device_code: str) -> str:
    return hashlib.sha256(device_code.encode()).hexdigest()


def normalize_user_code(user_code: str) -> str:
    letters = re.sub(r"[^A-Z]", "", (user_code or "").upper())
    return f"{letters[:4]}-{letters[4:8]}" if len(letters) == 8 else ""


@transaction.atomic
def device_authorization_start(*, client_name: str = "") -> tuple[DeviceAuthorization, str]:
    device_code = secrets.token_urlsafe(32)
    while True:
        letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        user_code = f"{letters[:4]}-{letters[4:]}"
        if not DeviceAuthorization.objects.filter(user_code=user_code).exists():
            break
    grant = DeviceAuthorization.objects.create(
        device_code_hash=_hash_device_code(device_code),
        user_code=user_code,
        client_name=client_name[:100],
        interval=settings.DEVICE_POLL_INTERVAL,
        expires_at=timezone.now() + settings.DEVICE_CODE_LIFETIME,
    )
    return grant, device_code


@transaction.atomic
def device_authorization_decide(*, user_code: str, user: User, approve: bool) -> DeviceAuthorization:
    grant = (
        DeviceAuthorization.objects.select_for_update()
        .filter(user_code=normalize_user_code(user_code), status=DeviceAuthorization.Status.PENDING)
        .first()
    )
    if grant is None or grant.is_expired:
        raise NotFound("This code is unknown, already used or expired. Start `loopwind login` again.")
    grant.status = DeviceAuthorization.Status.APPROVED if approve else DeviceAuthorization.Status.DENIED
    grant.user = user
    grant.save(update_fields=["status", "user"])
    return grant


def device_token_exchange(*, device_code: str) -> tuple[User, dict[str, str]]:
    # The poll bookkeeping must be committed even when the answer is an error, so the error is
    # raised after the transaction, not inside it.
    with transaction.atomic():
        user, error = _device_poll(device_code)
        if error is None:
            return user, tokens_for_user(user)
    raise error


def _device_poll(device_code: str) -> tuple[User | None, DeviceFlowError | None]:
    grant = (
        DeviceAuthorization.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(device_code_hash=_hash_device_code(device_code or ""))
        .first()
    )
    if grant is None:
        return None, DeviceFlowError("Unknown device code.", code="invalid_grant")
    now = timezone.now()
    status = DeviceAuthorization.Status
    if grant.status == status.CONSUMED or grant.is_expired:
        return None, DeviceFlowError(
            "The device code has expired or was used. Start again.", code="expired_token"
        )
    if grant.status == status.DENIED:
        return None, DeviceFlowError("The sign-in was denied in the browser.", code="access_denied")
    if grant.status == status.PENDING:
        too_fast = grant.last_polled_at and now - grant.last_polled_at < timedelta(seconds=grant.interval)
        grant.last_polled_at = now
        if too_fast:
            grant.interval += 5
            grant.save(update_fields=["last_polled_at", "interval"])
            return None, DeviceFlowError(
                f"Polling too fast; wait {grant.interval} seconds between polls.",
                code="slow_down",
                details={"interval": grant.interval},
            )
        grant.save(update_fields=["last_polled_at"])
        return None, DeviceFlowError(
            "Waiting for the code to be approved in the browser.",
            code="authorization_pending",
            details={"interval": grant.interval},
        )
    grant.status = status.CONSUMED
    grant.save(update_fields=["status"])
    return grant.user, None
