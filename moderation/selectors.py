from __future__ import annotations

from django.db.models import QuerySet

from moderation.models import TemplateViolation


def violation_reason(*, template_id: int) -> str | None:
    """Why staff marked the template as violating, or None when it is not marked."""
    return TemplateViolation.objects.filter(template_id=template_id).values_list("reason", flat=True).first()


def violations_of(*, owner) -> QuerySet[TemplateViolation]:
    """The owner's templates marked as violating, with the reasons they are shown."""
    return TemplateViolation.objects.filter(template__owner=owner).select_related("template")
