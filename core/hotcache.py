"""Coherent caching of the rows a cache hit needs (an API key and its account, a template and its
versions, a signer's secrets), shared by every process through Redis.

Every entry belongs to an *account* (the key's owner, the template's owner, the signer) and is
stored with that account's generation, a counter in Redis. Anything that changes what an entry
says — revoking a key, suspending an account, changing its plan, rotating a secret, unpublishing a
template, making it private, yanking a version — bumps the account's generation (``forget``): from
then on every process's read of an old entry misses, whatever it holds, and goes to the database.
A read is one round trip (a Lua script compares the entry's generation with its account's).

Filling never puts an old row back: the filler reads a global counter of bumps before its
database read, and the entry is stored only if no bump happened since (Lua again). ``forget`` runs
at once and again after the transaction commits, so a reader between the two cannot keep
uncommitted state. Redis down: reads go to the database (never a stale entry); a bump that
cannot reach Redis is logged, and entries expire after ``TTL`` seconds in any case. Without Redis
(the embedded local-memory setup) nothing is cached.

Entries are model rows as field values, turned back into instances with ``Model.from_db``: a
field left out (a password hash, a search vector) is deferred and read from the database if
anything touches it."""

from __future__ import annotations

import logging
import pickle
from typing import Any

from django.core.cache import cache
from django.db import models, transaction

logger = logging.getLogger(__name__)
TTL = 60  # bounds the one stale case: Redis unreachable exactly when an account was forgotten

# Returns the entries (false for a miss) and, last, the bumps counter as of this read: a fill token
# for an entry rebuilt from what was read (see fill).
_GET = """
local found = {}
for i, key in ipairs(KEYS) do
  found[i] = false
  local entry = redis.call('HMGET', key, 'acct', 'gen', 'data')
  if entry[1] and (redis.call('GET', ARGV[1] .. entry[1]) or '0') == entry[2] then found[i] = entry[3] end
end
found[#KEYS + 1] = redis.call('GET', ARGV[2]) or '0'
return found
"""
# KEYS: entry, bumps counter, the account's generation. ARGV: the bumps counter read before the
# database read, account id, data, ttl.
_FILL = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
local gen = redis.call('GET', KEYS[3]) or '0'
redis.call('HSET', KEYS[1], 'acct', ARGV[2], 'gen', gen, 'data', ARGV[3])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
"""
_scripts: dict[tuple[int, str], Any] = {}


def _client():
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)


def _script(redis, source: str):
    script = _scripts.get((id(redis), source))
    if script is None:
        script = _scripts[(id(redis), source)] = redis.register_script(source)
    return script


def _key(name: str) -> str:
    return cache.make_key(f"hot:{name}")


def _gen_prefix() -> str:
    return _key("gen:")


def get(name: str) -> Any | None:
    """The entry, or None (absent, outdated, or Redis unavailable: read the database)."""
    return get_many([name])[0]


def get_many(names: list[str]) -> list[Any | None]:
    """Several entries in one round trip (a path that knows what it will need, like /i/)."""
    return lookup(names)[0]


def lookup(names: list[str]) -> tuple[list[Any | None], str | None]:
    """The entries, and a fill token as of this read: an entry rebuilt from what was read (a key
    with its new last-use time) may be stored with it, and is not if anything was forgotten since."""
    redis = _client()
    if redis is None:
        return [None] * len(names), None
    try:
        found = _script(redis, _GET)(keys=[_key(name) for name in names], args=[_gen_prefix(), _key("bumps")])
    except Exception:
        logger.warning("hot cache unavailable; reading the database", exc_info=True)
        return [None] * len(names), None
    token = found.pop()
    # Written only by fill() in our own processes, like django-redis's pickled cache values
    entries = [pickle.loads(raw) if raw else None for raw in found]  # noqa: S301
    return entries, token.decode() if isinstance(token, bytes) else str(token)


def fill_token() -> str | None:
    """Read before the database read that fills an entry (None: do not fill)."""
    redis = _client()
    if redis is None:
        return None
    try:
        value = redis.get(_key("bumps"))
    except Exception:
        return None
    return "0" if value is None else value.decode()


def fill(name: str, *, account_id: int, token: str | None, data: Any) -> None:
    if token is None:
        return
    redis = _client()
    try:
        _script(redis, _FILL)(
            keys=[_key(name), _key("bumps"), _gen_prefix() + str(account_id)],
            args=[token, account_id, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), TTL],
        )
    except Exception:
        logger.warning("hot cache unavailable; entry %s not stored", name, exc_info=True)


def _bump(account_ids: set[int]) -> None:
    redis = _client()
    if redis is None or not account_ids:
        return
    try:
        pipe = redis.pipeline(transaction=True)
        for account_id in account_ids:
            pipe.incr(_gen_prefix() + str(account_id))
        pipe.incr(_key("bumps"))
        pipe.execute()
    except Exception:
        logger.error("hot cache: could not forget accounts %s (entries expire in %s s)", account_ids, TTL,
                     exc_info=True)  # fmt: skip


def forget(*account_ids: int | None) -> None:
    """Every entry of these accounts is outdated, now and again once the transaction commits."""
    ids = {int(account_id) for account_id in account_ids if account_id is not None}
    _bump(ids)
    transaction.on_commit(lambda: _bump(ids))


# --- rows as entries ------------------------------------------------------------------------


def row(instance: models.Model | None, *, exclude: tuple[str, ...] = ()) -> tuple | None:
    """A row's concrete field values (attnames), for ``instance_of``."""
    if instance is None:
        return None
    deferred = instance.get_deferred_fields()
    names = tuple(
        field.attname
        for field in instance._meta.concrete_fields
        if field.attname not in deferred and field.name not in exclude
    )
    return names, tuple(getattr(instance, name) for name in names)


def instance_of(model: type[models.Model], stored: tuple | None):
    """The instance as if loaded from the database (fields left out are deferred)."""
    if stored is None:
        return None
    names, values = stored
    if not set(names) <= {field.attname for field in model._meta.concrete_fields}:
        raise KeyError("an entry written by another version of the model")  # callers read the database
    return model.from_db("default", names, values)
