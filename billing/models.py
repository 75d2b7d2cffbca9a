from django.conf import settings
from django.db import models
from django.utils import timezone


class Plan(models.Model):
    """A plan's limits, editable in the admin. ``code`` is what users carry (``User.plan``)."""

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=50)
    price_cents = models.PositiveIntegerField(default=0, help_text="per month, in USD cents")
    stripe_price_id = models.CharField(
        max_length=100, blank=True, help_text="the Stripe Price to subscribe to"
    )
    image_renders_per_month = models.PositiveIntegerField()
    video_renders_per_month = models.PositiveIntegerField()
    max_templates = models.PositiveIntegerField(null=True, blank=True, help_text="empty: unlimited")
    private_templates = models.BooleanField(default=False)
    requests_per_minute = models.PositiveIntegerField()
    webhooks = models.BooleanField(default=False)
    priority_rendering = models.BooleanField(default=False)
    render_time_limit = models.PositiveIntegerField(default=10, help_text="seconds per image render")
    max_video_seconds = models.PositiveIntegerField(default=30)
    # Keys share the account's requests a minute; this caps how many it may hold (empty: unlimited).
    max_api_keys = models.PositiveIntegerField(null=True, blank=True, default=3, help_text="empty: unlimited")
    # Renders the account may have running at once, across every web process (sync and signed URLs).
    renders_in_flight = models.PositiveIntegerField(default=1)
    # Uncached renders of the account's signed /i/ URLs a minute (cache hits are free): their own
    # bucket, so strangers loading a page with its og:image cannot spend the account's API limit.
    image_url_renders_per_minute = models.PositiveIntegerField(default=60)
    # Rows one batch render (POST /api/render/batch) may hold; 0: the plan has no batch renders.
    max_batch_rows = models.PositiveIntegerField(default=0)
    # People an organization on this plan may have (members and pending invitations, owners
    # included); 1: the plan has no teams beyond the organization's creator.
    seats = models.PositiveIntegerField(default=1)
    # Custom domains the account may add (og.example.com serving its signed /i/ URLs); 0: none.
    custom_domains = models.PositiveIntegerField(default=0)
    # API analytics: how many days are kept and shown, at which intervals, grouped by what.
    analytics_days = models.PositiveIntegerField(default=7)
    analytics_intervals = models.CharField(
        max_length=40, default="day", help_text="comma-separated: minute, hour, day"
    )
    analytics_groupings = models.CharField(
        max_length=80,
        default="route,status",
        help_text="comma-separated: route, template, key, status, format, cache",
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return self.name

    @property
    def analytics_interval_list(self) -> list[str]:
        return [part.strip() for part in self.analytics_intervals.split(",") if part.strip()]

    @property
    def analytics_grouping_list(self) -> list[str]:
        return [part.strip() for part in self.analytics_groupings.split(",") if part.strip()]


class Usage(models.Model):
    """The spec's usage table: one row per user, type and month, incremented in place."""

    class Type(models.TextChoices):
        IMAGE_RENDER = "image_render"
        VIDEO_RENDER = "video_render"
        PUBLISH = "publish"
        # CPU milliseconds the renderer spent for the account (failed and timed-out renders included)
        RENDER_CPU_MS = "render_cpu_ms"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage")
    type = models.CharField(max_length=20, choices=Type.choices)
    month = models.DateField(help_text="first day of the month")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "type", "month"], name="usage_one_row_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.type} {self.month:%Y-%m}: {self.count}"


class Subscription(models.Model):
    """A user's Stripe customer and subscription, as last read from Stripe."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription"
    )
    stripe_customer_id = models.CharField(max_length=100, unique=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=30, blank=True)
    plan_code = models.CharField(max_length=20, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} {self.stripe_customer_id} {self.status}"


class StripeEvent(models.Model):
    """Every Stripe event id we processed: a replayed event is recognised and skipped."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
