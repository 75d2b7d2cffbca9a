import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.ids import public_id, random_base62


def new_render_id() -> str:
    return public_id("rnd")


def new_job_id() -> str:
    return public_id("job")


def new_delivery_id() -> str:
    return public_id("whd")


def new_signing_secret() -> str:
    return secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_output_token() -> str:
    return random_base62(24)


class RenderSecrets(models.Model):
    """Per-user secrets: one signs image URLs (/i/…), the other signs webhooks. Both rotate."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="render_secrets"
    )
    signing_secret = models.CharField(max_length=64, default=new_signing_secret)
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret)
    signing_rotated_at = models.DateTimeField(default=timezone.now)
    webhook_rotated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"secrets of {self.user_id}"


class Render(models.Model):
    """One render that did work: a sync cache miss, or a completed async job (``source`` "job").
    Cache hits answer with the id of the render that made the output. These rows are what the
    templates' ``renders`` counters are summed from (maintenance.render_counts_flush)."""

    public_id = models.CharField(max_length=32, unique=True, default=new_render_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="renders")
    template = models.ForeignKey("templates_registry.Template", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "templates_registry.TemplateVersion", on_delete=models.CASCADE, related_name="+"
    )
    format = models.CharField(max_length=8)
    scale = models.PositiveSmallIntegerField(default=1)
    cache_key = models.CharField(max_length=64, db_index=True)
    output = models.CharField(max_length=255)
    size = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=10, default="api")  # api | url (signed image URL) | web | job
    # When a sync render's cached output was deleted (RENDER_CACHE_TTL after its last render)
    output_deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # In its template's ``renders`` counter yet. A flag rather than a high-water mark on the id: the
    # render log inserts rows a minute late, with ids above younger rows still being committed.
    counted = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(counted=False), name="render_uncounted"),
        ]

    def __str__(self) -> str:
        return self.public_id


class RenderCountMark(models.Model):
    """The last Render row whose count is in the templates' ``renders`` counters. One row: the
    flush that moves it holds its lock, so two flushes never count a render twice."""

    last_render_id = models.BigIntegerField(default=0)
    flushed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"renders counted up to #{self.last_render_id}"


class RenderJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINAL = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)

    public_id = models.CharField(max_length=32, unique=True, default=new_job_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="render_jobs")
    template = models.ForeignKey("templates_registry.Template", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "templates_registry.TemplateVersion", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    props = models.JSONField(default=dict)
    format = models.CharField(max_length=8)
    scale = models.PositiveSmallIntegerField(default=1)
    webhook_url = models.URLField(max_length=2000, blank=True)
    progress = models.FloatField(default=0)
    current_frame = models.PositiveIntegerField(default=0)
    total_frames = models.PositiveIntegerField(default=1)
    attempts = models.PositiveSmallIntegerField(default=0)
    output_token = models.CharField(max_length=32, default=new_output_token, editable=False)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    estimated_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class JobOutput(models.Model):
    """The output of a completed job. One per job, by constraint: a job redelivered after a
    crash can render twice, but only one completion commits."""

    job = models.OneToOneField(RenderJob, on_delete=models.CASCADE, related_name="output")
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    public_id = models.CharField(max_length=32, unique=True, default=new_delivery_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    job = models.ForeignKey(
        RenderJob, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    url = models.URLField(max_length=2000)
    payload = models.JSONField()
    message_id = models.CharField(max_length=40)  # webhook-id: the same on every retry
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "event"], name="one_delivery_per_job_event")]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.public_id


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"


class IdempotencyRecord(models.Model):
    """The answer given to a POST with an Idempotency-Key, kept 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # null while in flight
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "endpoint", "key"], name="idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint}:{self.key}"


def new_batch_id() -> str:
    return public_id("bat")


class RenderBatch(models.Model):
    """One template rendered for many rows of props (POST /api/render/batch). Its rows are rendered
    by the workers in chunks (rendering/batch.py); each row's outcome commits on its own."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        PROCESSING = "processing"
        COMPLETED = "completed"
        CANCELLED = "cancelled"

    FINAL = (Status.COMPLETED, Status.CANCELLED)

    public_id = models.CharField(max_length=32, unique=True, default=new_batch_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="render_batches"
    )
    template = models.ForeignKey("templates_registry.Template", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "templates_registry.TemplateVersion", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    format = models.CharField(max_length=8)
    scale = models.PositiveSmallIntegerField(default=1)
    webhook_url = models.URLField(max_length=2000, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)
    output_token = models.CharField(max_length=32, default=new_output_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class BatchRow(models.Model):
    """One row of a batch: its props, and once rendered its output (or why it failed)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    batch = models.ForeignKey(RenderBatch, on_delete=models.CASCADE, related_name="rows")
    number = models.PositiveIntegerField(help_text="the row's number in the request, from 1")
    filename = models.CharField(max_length=120)
    props = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    output = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="batch_row_unique_number")]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return f"{self.batch_id} #{self.number}"
