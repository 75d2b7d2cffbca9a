"""The API key format: ``lw_live_`` + 32 random base62 characters + a 6-character CRC32
checksum (GitHub's token format). Secret scanners can tell a real key from a typo offline,
and a malformed key is refused without a database query."""

import hashlib
import zlib

from core.ids import BASE62, random_base62

KEY_PREFIX = "lw_live_"
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 4  # "lw_live_AbCd", safe to show in lists


def _base62(number: int, width: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)).rjust(width, "0")


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def generate_key(random_part: str | None = None) -> str:
    """A new key; ``random_part`` only for reproducible demo keys derived from a secret."""
    random_part = random_part or random_base62(RANDOM_LENGTH)
    assert len(random_part) == RANDOM_LENGTH and all(ch in BASE62 for ch in random_part)
    return f"{KEY_PREFIX}{random_part}{_checksum(random_part)}"


def base62_from_bytes(data: bytes, length: int = RANDOM_LENGTH) -> str:
    return _base62(int.from_bytes(data, "big"), length)[-length:]


def looks_like_key(raw: str) -> bool:
    return raw.startswith(KEY_PREFIX)


def is_well_formed(raw: str) -> bool:
    body = raw[len(KEY_PREFIX) :]
    if not raw.startswith(KEY_PREFIX) or len(body) != RANDOM_LENGTH + CHECKSUM_LENGTH:
        return False
    if not (body.isascii() and body.isalnum()):  # ASCII letters and digits: BASE62, checked in C
        return False
    return _checksum(body[:RANDOM_LENGTH]) == body[RANDOM_LENGTH:]


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def display_prefix(raw: str) -> str:
    return raw[:DISPLAY_PREFIX_LENGTH]
