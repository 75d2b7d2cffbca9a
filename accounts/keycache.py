"""The API key path of a request: key → key row and its account, from the shared hot-path cache
(core.hotcache) when it holds them, else one query that fills it. Revoking a key, suspending or
reinstating its account and changing its plan forget the entry on every node at once."""

from __future__ import annotations

from accounts.models import ApiKey, User
from core import hotcache

USER_LEFT_OUT = ("password",)  # never copied into Redis; deferred, read from the database if needed


def api_key_by_hash(digest: str) -> ApiKey | None:
    name = f"key:{digest}"
    entry = hotcache.get(name)
    if entry is not None:
        try:
            key = hotcache.instance_of(ApiKey, entry["key"])
            key.user = hotcache.instance_of(User, entry["user"])
            return key
        except KeyError:
            pass
    token = hotcache.fill_token()
    key = ApiKey.objects.select_related("user").filter(key_hash=digest).first()
    if key is not None:
        data = {"key": hotcache.row(key), "user": hotcache.row(key.user, exclude=USER_LEFT_OUT)}
        hotcache.fill(name, account_id=key.user_id, token=token, data=data)
    return key
