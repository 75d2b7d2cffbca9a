"""What rendering does when the registry says something happened (templates_registry/signals.py)."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core import hotcache
from core.errors import ApiError
from rendering.models import RenderSecrets
from rendering.queue import RENDER_VERSION_PREVIEW, enqueue
from templates_registry.signals import version_published

logger = logging.getLogger(__name__)


@receiver(version_published, dispatch_uid="rendering.video_preview_in_the_worker")
def video_preview_in_the_worker(sender, version, **kwargs):
    """A video version's MP4 preview is rendered by the worker once the publish has committed; the
    page shows the still until then. A queue that is down only means no MP4 preview for now."""

    def send():
        try:
            enqueue(RENDER_VERSION_PREVIEW, version.pk)
        except ApiError:
            logger.warning("no MP4 preview queued for version %s: the queue is down", version.pk)

    transaction.on_commit(send)


@receiver(post_save, sender=RenderSecrets, dispatch_uid="rendering.forget_signer_secrets")
@receiver(post_delete, sender=RenderSecrets, dispatch_uid="rendering.forget_deleted_signer_secrets")
def forget_signer_secrets(sender, instance: RenderSecrets, **kwargs):
    """A rotated signing secret: every node's cached signer goes (rendering.services.signer_get)."""
    hotcache.forget(instance.user_id)
