"""The one way account identifiers are compared. Emails are stored, looked up, counted by the
sign-in guard and checked for uniqueness in exactly this form, so no two parts of the system can
disagree about which account an address names (``ſ`` is ``s`` here, and PostgreSQL's
case-insensitive match is never used)."""

import unicodedata


def email_normalize(email: str) -> str:
    """NFKC and Unicode case folding (NFKC_Casefold in effect): ``Jeſſe@Example.COM`` → ``jesse@example.com``."""
    text = unicodedata.normalize("NFKC", (email or "").strip())
    return unicodedata.normalize("NFKC", text.casefold())
