from django.conf import settings
from django.db import models
from django.utils import timezone


class ModerationLog(models.Model):
    """Every staff moderation action, who did it, to what and why. Append-only."""

    class Action(models.TextChoices):
        FEATURE = "feature"
        UNFEATURE = "unfeature"
        UNPUBLISH = "unpublish"
        VIOLATION = "violation"
        VIOLATION_CLEARED = "violation_cleared"
        SUSPEND = "suspend"
        UNSUSPEND = "unsuspend"
        JOB_RETRY = "job_retry"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    target_type = models.CharField(max_length=20)  # template | user | job
    target_id = models.CharField(max_length=40)  # the target's public id
    target_label = models.CharField(max_length=120)  # slug or username, as it was
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label}"


class TemplateViolation(models.Model):
    """A template staff marked as violating the rules: hidden from everyone, and its owner sees
    the reason on their dashboard."""

    template = models.OneToOneField(
        "templates_registry.Template", on_delete=models.CASCADE, related_name="violation"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"violation of {self.template_id}"
