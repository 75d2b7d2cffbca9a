"""A customer's own host name (``og.example.com``) serving their signed image URLs."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from core.ids import public_id, random_base62


def new_domain_id() -> str:
    return public_id("dom")


def new_challenge_token() -> str:
    return f"lw-verify-{random_base62(32)}"


class Domain(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        VERIFIED = "verified"
        FAILED = "failed"

    public_id = models.CharField(max_length=32, unique=True, default=new_domain_id, editable=False)
    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)  # lower case, ASCII (IDNA xn-- form), no trailing dot
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The last check's problem (empty when it passed): a code (txt_missing, cname_wrong, …) and a sentence
    failure_reason = models.CharField(max_length=32, blank=True, default="")
    failure_message = models.CharField(max_length=500, blank=True, default="")
    challenge_token = models.CharField(max_length=64, default=new_challenge_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "domain"], name="domain_once_per_account"),
            # Pending claims do not block anyone (a name nobody proved cannot be squatted); only one
            # account at a time can have proved it.
            models.UniqueConstraint(
                fields=["domain"], condition=Q(status="verified"), name="domain_verified_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "last_checked_at"])]

    def __str__(self) -> str:
        return f"{self.domain} ({self.status})"

    @property
    def challenge_name(self) -> str:
        return f"_loopwind-challenge.{self.domain}"
