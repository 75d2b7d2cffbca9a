"""Stored emails in the one normalised form (NFKC + case folding, accounts/normalize.py), which
sign-in, the sign-in guard, password reset and uniqueness now all match exactly. An address whose
normalised form another account already has is left as it is (two people must not be merged);
staff can resolve those by hand."""

import unicodedata

from django.db import migrations


def _normalize(email: str) -> str:  # a copy: migrations do not follow later code changes
    text = unicodedata.normalize("NFKC", (email or "").strip())
    return unicodedata.normalize("NFKC", text.casefold())


def normalize_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for pk, email in User.objects.values_list("pk", "email").iterator():
        normalized = _normalize(email)
        if normalized == email:
            continue
        if User.objects.filter(email__iexact=normalized).exclude(pk=pk).exists():
            continue
        if User.objects.filter(email=normalized).exclude(pk=pk).exists():
            continue
        User.objects.filter(pk=pk).update(email=normalized)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_token_generation")]

    operations = [migrations.RunPython(normalize_emails, migrations.RunPython.noop)]
