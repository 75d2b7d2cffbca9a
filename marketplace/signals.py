"""A template marked as violating stays hidden: publishing its name again is refused (403) until
staff clear the mark. Checked where every path that brings a template back ends: its save."""

from django.db.models.signals import pre_save
from django.dispatch import receiver

from core.errors import Forbidden
from marketplace.models import TemplateViolation
from templates_registry.models import Template


class TemplateRemoved(Forbidden):
    code = "template_removed"


@receiver(pre_save, sender=Template, dispatch_uid="marketplace.violating_templates_stay_hidden")
def violating_templates_stay_hidden(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None or instance.unpublished_at is not None:
        return
    violation = TemplateViolation.objects.filter(template_id=instance.pk).only("reason").first()
    if violation is not None:
        raise TemplateRemoved(
            f"{instance.name} was removed by moderators and cannot be published again: {violation.reason}",
            details={"reason": violation.reason},
        )
