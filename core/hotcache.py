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
import os
import pickle
import threading
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.db import models, transaction
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from redis.exceptions import NoScriptError, ResponseError

from core.memo import Memo
from core.nearcache import NearCache

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
# A whole cache hit's reads in one round trip (issue 14): the entries as _GET does (KEYS[1..n],
# n = ARGV[3]), then plain GETs (the render cache's index entry), and when ARGV[4] is set, the last
# key is a rate-limit counter incremented as core.ratelimit's script does (expiry ARGV[4] seconds,
# set by the INCR that creates it). Returns the entries, the GETs' values, the count (false when
# none) and the bumps counter (the fill token).
_READ = """
local n = tonumber(ARGV[3])
local out = {}
for i = 1, n do
  out[i] = false
  local entry = redis.call('HMGET', KEYS[i], 'acct', 'gen', 'data')
  if entry[1] and (redis.call('GET', ARGV[1] .. entry[1]) or '0') == entry[2] then out[i] = entry[3] end
end
local last = #KEYS
local count = false
if ARGV[4] ~= '' then
  count = redis.call('INCR', KEYS[last])
  if count == 1 then redis.call('EXPIRE', KEYS[last], tonumber(ARGV[4])) end
  last = last - 1
end
for i = n + 1, last do out[#out + 1] = redis.call('GET', KEYS[i]) end
out[#out + 1] = count
out[#out + 1] = redis.call('GET', ARGV[2]) or '0'
return out
"""
_scripts: dict[tuple[int, str], Any] = {}


_tracked_names = ["hot:"]  # cache names whose keys near copies may depend on (core.nearcache)


def track(name_prefix: str) -> None:
    """Lets ``read(near=True)`` keep copies that depend on cache keys named ``name_prefix``… (an app's
    ready(), before the first request): writes under it then reach every process's near copies."""
    if name_prefix not in _tracked_names:
        _tracked_names.append(name_prefix)


NEAR = NearCache(
    client=lambda: _client(),
    prefixes=lambda: [cache.make_key(name) for name in _tracked_names],
    seconds=settings.HOT_NEAR_SECONDS,
)


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


class Read(NamedTuple):
    entries: list[Any | None]  # as get_many
    values: list[bytes | None]  # the plain GETs, raw (the caller decodes them)
    count: int | None  # the counter after its INCR, when one was given
    token: str  # the fill token, as lookup's


def read(
    names: list[str], *, gets: list[str] = (), counter: tuple[str, int] | None = None, near: bool = False
) -> Read | None:
    """The entries ``names``, the raw values of the full cache keys ``gets``, and a rate-limit
    counter (full key, expiry seconds) incremented, all in one round trip: what a whole cache hit
    reads. None when Redis is unavailable or not configured (nothing was counted then).

    ``near`` (reads without a counter, of keys under tracked prefixes: see ``track``) answers from
    this process's copy of the same read when nothing it depends on has changed since (``NEAR``,
    core.nearcache): no round trip. Only complete reads (every entry and value found) are kept."""
    redis = _client()
    if redis is None:
        return None
    make_key = caches["default"].make_key  # the backend itself, not the proxy, for the 3-4 keys
    keys = [make_key(f"hot:{name}") for name in names] + list(gets)
    args = [make_key("hot:gen:"), make_key("hot:bumps"), len(names), ""]
    epoch = None
    if near and counter is None:
        copy, epoch = NEAR.lookup(tuple(keys))
        if copy is not None:
            return copy
    if counter is not None:
        keys.append(counter[0])
        args[3] = counter[1]
    try:
        found = _evalsha(redis, _script(redis, _READ), keys, args)
    except Exception:
        logger.warning("hot cache unavailable; reading the database", exc_info=True)
        return None
    token = found[-1]
    n = len(names)
    entries = [_decoded(raw) if raw else None for raw in found[:n]]
    result = Read(
        entries,
        found[n : n + len(gets)],
        found[-2] if counter is not None else None,
        token.decode() if isinstance(token, bytes) else str(token),
    )
    if epoch is not None and all(entry is not None for entry in entries) and all(result.values):
        # What the script read: the entries, the values, the bumps counter (every account's
        # generation moves with it, see _bump)
        NEAR.store(tuple(keys), result, depends_on=[*keys, args[1]], epoch=epoch)
    return result


# Entries as stored are immutable (a change is a new entry), so the same bytes decode to the same
# rows: a process keeps the last ones it decoded. The rows are tuples; nothing changes them.
_decoded_entries = Memo(512)


def _decoded(raw: bytes):
    # Written only by fill() in our own processes, like django-redis's pickled cache values
    return _decoded_entries.computed(raw, lambda: pickle.loads(raw))  # noqa: S301


_held = threading.local()  # this thread's connection for the hit's round trip (_connection)


def _connection(redis):
    """This thread's own connection to ``redis`` for the hit path's round trip: made with the pool's
    settings (address, timeouts, health checks), connected on first use, and new after a fork.
    Checking a connection out of the pool costs more client CPU than the round trip's own commands
    (a readiness poll of the socket, pid checks, locks, metrics hooks); a thread holding one needs
    none of that, since only this thread sends on it and _evalsha leaves it in step."""
    pid = os.getpid()
    held = getattr(_held, "connection", None)
    if held is None or held[0] is not redis or held[1] != pid:
        pool = redis.connection_pool
        held = _held.connection = (redis, pid, pool.connection_class(**pool.connection_kwargs))
    return held[2]


def _evalsha(redis, script, keys: list, args: list):
    """The script's EVALSHA on this thread's connection (_connection), without redis-py's per-command
    wrapping (retry closures, telemetry hooks, the pool's checkout): a fraction of the client's CPU
    of the hit path's one round trip. A script the server lost (a restart, SCRIPT FLUSH) is sent
    whole once. Anything but a Redis error reply (a connection error, a timeout, an interruption
    between sending and reading) disconnects the connection, so no late reply is ever read as the
    next request's: the next use connects again. Errors propagate (callers read the database)."""
    connection = _connection(redis)
    try:
        try:
            connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            return connection.read_response()
        except NoScriptError:
            connection.send_command("EVAL", script.script, len(keys), *keys, *args)
            return connection.read_response()
    except ResponseError:
        raise  # a whole reply was read: the connection is in step
    except BaseException:
        connection.disconnect()
        raise


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


_known_names: set[tuple[type, tuple[str, ...]]] = set()
_plain_models: dict[type, bool] = {}  # no pre_init / post_init receivers


def instance_of(model: type[models.Model], stored: tuple | None):
    """The instance as if loaded from the database (fields left out are deferred)."""
    if stored is None:
        return None
    names, values = stored
    if (model, names) not in _known_names:
        if not set(names) <= {field.attname for field in model._meta.concrete_fields}:
            raise KeyError("an entry written by another version of the model")  # callers read the database
        _known_names.add((model, names))
    plain = _plain_models.get(model)
    if plain is None:  # asked once per model and process (receivers connect when apps load)
        plain = _plain_models[model] = not (pre_init.has_listeners(model) or post_init.has_listeners(model))
    if not plain:
        return model.from_db("default", names, values)
    # What from_db does for these fields (Model.__init__ sets each one, the rest stay deferred),
    # without the per-field loop: this runs several times on every cache hit.
    instance = model.__new__(model)
    instance.__dict__.update(zip(names, values, strict=True))
    instance._state = ModelState()
    instance._state.adding = False
    instance._state.db = "default"
    return instance


_relations: dict[tuple[type, str], Any] = {}


def relate(instance: models.Model, name: str, related: models.Model | None) -> None:
    """``instance.<name> = related`` for two rows of one entry, which already say that they belong
    together (the foreign key's column holds ``related``'s key, or for the reverse side of a
    one-to-one, ``related``'s column holds ``instance``'s): each is cached on the other as the
    descriptor would, without the checks of an assignment (types, database routers), which cost
    more than the rest of restoring a row. Rows that do not match go through the descriptor."""
    field = _relations.get((type(instance), name))
    if field is None:
        field = _relations[(type(instance), name)] = instance._meta.get_field(name)
    if related is not None:
        if field.concrete:  # a foreign key or a one-to-one on this row
            if instance.__dict__.get(field.attname) == related.pk:
                field.set_cached_value(instance, related)
                if field.one_to_one:
                    field.remote_field.set_cached_value(related, instance)
                return
        elif field.one_to_one:  # the other side of a one-to-one
            if related.__dict__.get(field.field.attname) == instance.pk:
                field.set_cached_value(instance, related)
                field.field.set_cached_value(related, instance)
                return
    setattr(instance, name, related)
