"""Public ids with a type prefix (usr_, key_, tpl_, job_, rnd_, whd_): opaque, unguessable,
and they tell at a glance what kind of object they name."""

import secrets
import string

BASE62 = string.digits + string.ascii_letters


def random_base62(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def public_id(prefix: str, length: int = 20) -> str:
    return f"{prefix}_{random_base62(length)}"
