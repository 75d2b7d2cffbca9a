"""A star clicked while signed out: remembered in the session by the (CSRF-checked) POST, applied once
when the visitor signs in or signs up. Nothing here acts on a GET, so a link or an image on another
site cannot star anything for anyone."""

from __future__ import annotations

import time

from django.contrib import messages

from core.errors import NotFound
from templates_registry import selectors as registry
from templates_registry.services import star_add

PENDING_STAR = "marketplace:pending-star"
PENDING_STAR_TTL = 3600  # a star asked for more than an hour before signing in is forgotten


def pending_star_remember(request, *, template) -> None:
    request.session[PENDING_STAR] = {
        "username": template.owner.username,
        "name": template.name,
        "at": int(time.time()),
    }


def pending_star_apply(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: star the template the visitor asked for before signing in, once."""
    if request is None or not hasattr(request, "session"):
        return
    pending = request.session.pop(PENDING_STAR, None)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_STAR_TTL:
        return
    try:
        template = registry.template_get(username=pending["username"], name=pending["name"], viewer=user)
    except (NotFound, KeyError):
        return
    star_add(user=user, template=template)
    messages.success(request, f"Starred {template.slug}.")
