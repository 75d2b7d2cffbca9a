"""Outgoing HTTP to URLs that users give us (image props, webhooks), safe against SSRF.

A URL from a user must never make the server talk to itself, the cloud metadata service
(169.254.169.254) or anything else on the private network. So, for every request:

1. ``check_url`` parses the URL strictly (http/https, no userinfo, a host), resolves the host
   once and refuses it if *any* resolved address is not public. Python's ``is_global`` is not
   enough on its own (it calls ``64:ff9b::7f00:1``, ``2002:7f00:1::`` and ``fec0::1`` global), so
   IPv6 addresses that embed an IPv4 (mapped, compatible, NAT64, 6to4) are judged by the IPv4
   they carry, and an explicit block list backs up ``is_global``.
2. The connection is made to the *checked IP address* (never to the name again), with the
   original host in the ``Host`` header and in TLS (SNI and certificate check). A DNS answer
   that changes between check and connect (DNS rebinding) therefore changes nothing.
3. Redirects are re-checked hop by hop (``fetch_image``) or not followed (``post_webhook``).
4. A single deadline covers resolution, connect, TLS, headers and body: a watchdog shuts the
   socket down when it passes, so a server that drips bytes cannot hold a worker.

``LOOPWIND_SSRF_ALLOW`` (a Django setting read from the environment, empty by default) lists
IPs / CIDRs let through anyway. It exists so tests can reach servers on 127.0.0.1; it must stay
empty in production.
"""

from core.netsafe.clients import DeliveryResult, fetch_image, post_webhook
from core.netsafe.urls import FetchFailed, ResolvedTarget, UnsafeUrl, check_url

__all__ = [
    "DeliveryResult",
    "FetchFailed",
    "ResolvedTarget",
    "UnsafeUrl",
    "check_url",
    "fetch_image",
    "post_webhook",
]
