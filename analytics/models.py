"""API analytics: requests counted per account and period (minute, hour and day rollups), and a
sample of recent errors. Written only by the worker (analytics.services.analytics_apply)."""

from __future__ import annotations

from django.db import models

from accounts.models import User

# Latency histogram buckets, upper bounds in milliseconds (the last catches everything slower).
# p50 and p95 come from these: exact to within a bucket, and histograms of any two periods add up.
LATENCY_BOUNDS_MS = (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000,
                     3000, 5000, 10000, 30000, 60000, float("inf"))  # fmt: skip


class Interval(models.TextChoices):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


class TrafficBucket(models.Model):
    """Requests of one account in one period with the same route, key, template, format, status
    class and cache outcome."""

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    interval = models.CharField(max_length=6, choices=Interval.choices)
    start = models.DateTimeField()
    key_id = models.CharField(max_length=32, blank=True, help_text="the API key's public id; empty: no key")
    route = models.CharField(max_length=120, help_text='method and URL pattern, e.g. "POST /api/render"')
    template = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=3, help_text="2xx, 3xx, 4xx or 5xx")
    cache = models.CharField(max_length=4, blank=True, help_text="hit, miss, or empty when nothing rendered")
    requests = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    renders = models.PositiveIntegerField(default=0)
    latency_ms_total = models.FloatField(default=0)
    latency_histogram = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "account",
                    "interval",
                    "start",
                    "key_id",
                    "route",
                    "template",
                    "format",
                    "status",
                    "cache",
                ],
                name="analytics_one_bucket_per_group",
            )
        ]
        indexes = [models.Index(fields=["account", "interval", "start"], name="analytics_account_period")]

    def __str__(self) -> str:
        return f"{self.route} {self.status} at {self.start:%Y-%m-%d %H:%M} ({self.interval}): {self.requests}"


class ErrorEvent(models.Model):
    """One of an account's recent error responses, for debugging (a sample: counts are exact in
    TrafficBucket, the log keeps up to ERRORS_KEPT per account)."""

    account = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=64, blank=True)
    message = models.CharField(max_length=300, blank=True)
    route = models.CharField(max_length=120)
    path = models.CharField(max_length=300, blank=True)
    key_prefix = models.CharField(max_length=16, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    template = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "-at"], name="analytics_errors_recent")]

    def __str__(self) -> str:
        return f"{self.status} {self.code} on {self.route} at {self.at:%Y-%m-%d %H:%M:%S}"


class AppliedBatch(models.Model):
    """A flushed batch of counts the worker has applied: applying one again (a flush that died
    after its commit) changes nothing."""

    batch_id = models.CharField(max_length=32, primary_key=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.batch_id
