"""Public ids with a type prefix (usr_, key_, tpl_, job_, rnd_, whd_): opaque, unguessable,
and they tell at a glance what kind of object they name."""

import secrets
import string

BASE62 = string.digits + string.ascii_letters
_UNBIASED = 256 - 256 % len(BASE62)  # bytes below this map onto BASE62 evenly (248 = 4 × 62)


def random_base62(length: int) -> str:
    """``length`` characters, each uniform over BASE62, from the system's CSPRNG: random bytes by
    rejection (a byte of 248 or more is dropped, the rest taken mod 62), drawn a few at a time
    rather than one system call per character (secrets.choice), which a render's id paid 20 times."""
    chars: list[str] = []
    while len(chars) < length:
        for byte in secrets.token_bytes(length - len(chars) + 8):
            if byte < _UNBIASED:
                chars.append(BASE62[byte % 62])
                if len(chars) == length:
                    break
    return "".join(chars)


def public_id(prefix: str, length: int = 20) -> str:
    return f"{prefix}_{random_base62(length)}"
