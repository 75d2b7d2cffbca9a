"""The API key path of a request: key → key row and its account, from the shared hot-path cache
(core.hotcache) when it holds them, else one query that fills it. Revoking a key, suspending or
reinstating its account and changing its plan forget the entry on every node at once."""

from __future__ import annotations

from accounts.models import ApiKey, User
from core import hotcache

USER_LEFT_OUT = ("password",)  # never copied into Redis; deferred, read from the database if needed


def _name(digest: str) -> str:
    return f"key:{digest}"


def _entry(key: ApiKey) -> dict:
    return {"key": hotcache.row(key), "user": hotcache.row(key.user, exclude=USER_LEFT_OUT)}


def cache_name(digest: str) -> str:
    return _name(digest)


def key_from_entry(entry, token: str | None) -> ApiKey | None:
    """The key and its account from a hot-cache entry (None: absent or from another model version)."""
    if entry is None:
        return None
    try:
        key = hotcache.instance_of(ApiKey, entry["key"])
        hotcache.relate(key, "user", hotcache.instance_of(User, entry["user"]))
    except KeyError:
        return None
    key._hot_token = token
    return key


def api_key_by_hash(digest: str) -> ApiKey | None:
    (entry,), token = hotcache.lookup([_name(digest)])
    key = key_from_entry(entry, token)
    if key is not None:
        return key
    token = hotcache.fill_token()
    key = ApiKey.objects.select_related("user").filter(key_hash=digest).first()
    if key is not None:
        hotcache.fill(_name(digest), account_id=key.user_id, token=token, data=_entry(key))
        key._hot_token = token  # read before the database read: remember_use may store it again
    return key


def remember_use(key: ApiKey) -> None:
    """After the once-a-minute write of ``last_used_at``: the cached key carries it too, so the
    next requests do not ask again. Stored only if nothing about the account was forgotten since
    the key was read (its token: the bumps counter as of that read)."""
    token = getattr(key, "_hot_token", None)
    hotcache.fill(_name(key.key_hash), account_id=key.user_id, token=token, data=_entry(key))
