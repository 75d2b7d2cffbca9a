"""The proxy's on-demand TLS check (Caddy's ``on_demand_tls { ask … }``): before it asks a CA for a
certificate for a name it has never seen, the proxy asks here; 200 only for a verified custom
domain, so nobody can make us request certificates for arbitrary names."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from core.errors import error_response
from domains import hosts


def _from_local_proxy(request) -> bool:
    """The proxy on this machine calling us directly; a request it forwards from the internet
    comes from loopback too, but carries X-Forwarded-For (Caddy's reverse_proxy always sets it)."""
    try:
        loopback = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False
    return loopback and "HTTP_X_FORWARDED_FOR" not in request.META and "HTTP_FORWARDED" not in request.META


def _token_ok(request) -> bool:
    token = settings.LOOPWIND_TLS_ASK_TOKEN
    given = request.GET.get("token") or request.headers.get("X-Loopwind-Token", "")
    return bool(token) and hmac.compare_digest(given.encode(), token.encode())


@require_GET
def tls_ask(request):
    if not (_from_local_proxy(request) or _token_ok(request)):
        return error_response(403, "forbidden", "Only the TLS proxy may ask.")
    name = (request.GET.get("domain") or "").strip().lower().rstrip(".")
    if not name or hosts.owner_of(name) is None:
        return error_response(404, "not_found", "Not a verified custom domain.")
    return HttpResponse("ok", content_type="text/plain")
