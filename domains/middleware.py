"""Custom domains at the door. A request whose Host is one of ours (ALLOWED_HOSTS) goes on as
always. One whose Host is a verified custom domain is let in for that account's signed image URLs
(/i/<account>/…, signed by the account) and nothing else: every other path is a 404, so a
customer's name never shows the site, the API, the admin or a login page. Any other Host is left
to Django, which refuses it (400) as before: the Host header is not opened to everything."""

from __future__ import annotations

import re

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from core.errors import error_response
from domains import hosts

_IMAGE_PATH = re.compile(r"^/i/(?P<account>[^/]+)/[^/]+$")


_ours: tuple[object, frozenset[str], list[str]] = (None, frozenset(), [])


def _our_hosts() -> tuple[frozenset[str], list[str]]:
    """ALLOWED_HOSTS without "*" (a wildcard must not turn customer domains into the site): the exact
    names as a set (the common case: one lookup), and every pattern for Django's own matching."""
    global _ours
    allowed = settings.ALLOWED_HOSTS
    if _ours[0] is not allowed:  # settings are read once; tests may swap them
        patterns = [host.lower() for host in allowed if host != "*"]
        if settings.DEBUG and not allowed:
            patterns = [".localhost", "127.0.0.1", "[::1]"]
        _ours = (allowed, frozenset(p for p in patterns if not p.startswith(".")), patterns)
    return _ours[1], _ours[2]


class CustomDomainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request._get_raw_host()
        exact, patterns = _our_hosts()
        if raw in exact:
            return self.get_response(request)  # ours, the common case: one set lookup
        name, _ = split_domain_port(raw)
        if not name or name in exact or validate_host(name, patterns):
            return self.get_response(request)  # ours
        owner = hosts.owner_of(name)
        if owner is None:
            return self.get_response(request)  # Django refuses the Host (DisallowedHost, 400)
        # This request's Host is valid for Django's own checks; nothing else changes.
        request.get_host = lambda: raw
        request.custom_domain = name
        match = _IMAGE_PATH.match(request.path_info)
        signer = request.GET.get("u")
        if match is None or match["account"] != owner.username or signer not in (None, owner.username):
            return error_response(404, "not_found", "Not found.")
        return self.get_response(request)
