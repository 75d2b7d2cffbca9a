"""The one way account identifiers are compared. Emails are stored, looked up, counted by the
sign-in guard and checked for uniqueness in exactly this form, so no two parts of the system can
disagree about which account an address names (``ſ`` is ``s`` here, and PostgreSQL's
case-insensitive match is never used)."""

import re
import unicodedata


def email_normalize(email: str) -> str:
    """NFKC and Unicode case folding (NFKC_Casefold in effect): ``Jeſſe@Example.COM`` → ``jesse@example.com``."""
    text = unicodedata.normalize("NFKC", (email or "").strip())
    return unicodedata.normalize("NFKC", text.casefold())


# Characters read as another at a glance, after accents are dropped and case is folded.
CONFUSABLES = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "|": "l", "!": "l", "2": "z", "3": "e", "4": "a", "@": "a",
     "5": "s", "$": "s", "6": "b", "7": "t", "8": "b", "9": "g"}
)  # fmt: skip


def username_skeleton(name: str) -> str:
    """What a name looks like: NFKC, case folded, accents dropped, confusable digits and letters
    mapped to one letter, separators stripped. ``l00pwind``, ``LOOPWIND``, ``admín`` and
    ``a-d-m-i-n`` have the skeletons of ``loopwind`` and ``admin``."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name or "").casefold())
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.replace("rn", "m").replace("vv", "w").translate(CONFUSABLES)
    return re.sub(r"[\W_]+", "", text)
