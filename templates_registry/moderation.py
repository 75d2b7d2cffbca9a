"""Staff moderation of templates: feature, unpublish, mark as violating, clear the mark. Each action
is written to the ModerationLog (the moderation app)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import hotcache
from moderation.services import Action, moderation_log, violation_clear, violation_mark
from templates_registry.models import Template
from templates_registry.services import template_unpublish


def _log(actor, action: str, template: Template, reason: str = "") -> None:
    moderation_log(
        actor=actor, action=action, target_type="template", target_id=template.public_id,
        label=template.slug, reason=reason,
    )  # fmt: skip


@transaction.atomic
def template_feature_set(*, actor, template: Template, featured: bool) -> None:
    if template.unpublished_at is not None or template.private:
        featured = False  # only listed templates can be featured
    Template.objects.filter(pk=template.pk).update(featured=featured, updated_at=timezone.now())
    hotcache.forget(template.owner_id)  # .update() sends no post_save
    _log(actor, Action.FEATURE if featured else Action.UNFEATURE, template)


@transaction.atomic
def template_moderate_unpublish(*, actor, template: Template, reason: str = "") -> None:
    template_unpublish(template=template)
    _log(actor, Action.UNPUBLISH, template, reason)


@transaction.atomic
def template_mark_violating(*, actor, template: Template, reason: str) -> None:
    """Hidden from everyone (unpublished) with the reason kept for its owner to read; publishing
    the name again is refused until staff clear the mark (template_publish checks it)."""
    reason = (reason or "").strip() or "This template violates the loopwind.dev terms."
    violation_mark(template_id=template.pk, reason=reason, actor=actor)
    if template.unpublished_at is None:
        template_unpublish(template=template)
    _log(actor, Action.VIOLATION, template, reason)


@transaction.atomic
def template_violation_clear(*, actor, template: Template) -> None:
    """Takes the mark away; the template stays unpublished until its owner publishes it again."""
    violation_clear(template_id=template.pk)
    _log(actor, Action.VIOLATION_CLEARED, template)
