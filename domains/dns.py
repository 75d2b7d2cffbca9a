"""The two lookups that prove a domain: the TXT challenge (the account controls the name) and the
CNAME (the name points at us). dnspython, through the resolver LOOPWIND_DNS_RESOLVER names (tests:
a local server), else the system's."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings

from domains.names import cname_target

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""  # txt_missing, txt_wrong, cname_missing, cname_wrong, nxdomain, dns_timeout, dns_error
    message: str = ""

    @property
    def transient(self) -> bool:
        """The DNS did not answer: says nothing about the records (a verified domain stays verified)."""
        return self.reason in {"dns_timeout", "dns_error"}


class _Transient(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def _nameserver(item: str) -> dns.nameserver.Do53Nameserver:
    """``ip``, ``ip:port`` or ``[ipv6]:port``."""
    item = item.strip()
    port = 53
    if item.startswith("["):
        address, _, rest = item[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif item.count(":") == 1:
        address, _, port_text = item.partition(":")
        port = int(port_text)
    else:
        address = item
    return dns.nameserver.Do53Nameserver(address, port)


def resolver() -> dns.resolver.Resolver:
    configured = settings.LOOPWIND_DNS_RESOLVER
    found = dns.resolver.Resolver(configure=not configured)
    if configured:
        found.nameservers = [_nameserver(item) for item in configured]
    found.timeout = found.lifetime = settings.LOOPWIND_DNS_TIMEOUT
    found.cache = None  # a record just added (or removed) must be seen now
    return found


def _lookup(res: dns.resolver.Resolver, name: str, rdtype: str):
    """The answer's records; [] for no record of that type; None when the name does not exist."""
    try:
        return list(res.resolve(name, rdtype, search=False, raise_on_no_answer=False) or [])
    except dns.resolver.NXDOMAIN:
        return None
    except (dns.resolver.LifetimeTimeout, dns.exception.Timeout):
        raise _Transient(
            "dns_timeout", f"The DNS lookup of {name} timed out; try again in a minute."
        ) from None
    except (dns.resolver.NoNameservers, dns.exception.DNSException) as exc:
        raise _Transient(
            "dns_error", f"The DNS lookup of {name} failed ({type(exc).__name__}); try again."
        ) from None


def check(*, domain: str, token: str) -> Check:
    try:
        res = resolver()
    except dns.exception.DNSException as exc:  # no /etc/resolv.conf and no LOOPWIND_DNS_RESOLVER
        logger.error("no DNS resolver: %s", exc)
        return Check(False, "dns_error", "This server cannot look DNS up right now; try again later.")
    target = cname_target()
    challenge = f"_loopwind-challenge.{domain}"
    try:
        cname = _lookup(res, domain, "CNAME")
        txt = _lookup(res, challenge, "TXT")
    except _Transient as exc:
        return Check(False, exc.reason, exc.message)
    problems: list[tuple[str, str]] = []
    if txt is None or not txt:
        problems.append(("txt_missing", f"No TXT record at {challenge}: add one with the value {token}."))
    else:
        values = [b"".join(record.strings).decode("utf-8", "replace") for record in txt]
        if token not in values:
            shown = ", ".join(repr(value[:80]) for value in values[:3])
            problems.append(("txt_wrong", f"The TXT record at {challenge} is {shown}; it must be {token}."))
    if cname is None:
        if txt is None:  # neither name exists: say so before anything else
            return Check(
                False, "nxdomain", f"{domain} does not exist in DNS (NXDOMAIN): add a CNAME to {target}."
            )
        problems.append(("cname_missing", f"No CNAME record at {domain}: point it at {target}."))
    elif not cname:
        problems.append(
            ("cname_missing", f"{domain} has no CNAME record (an A record or a flattened CNAME?): "
                              f"make it a CNAME to {target}.")
        )  # fmt: skip
    else:
        pointed = cname[0].target.to_text(omit_final_dot=True).lower()
        if pointed != target:
            problems.append(("cname_wrong", f"{domain} is a CNAME to {pointed}; it must point at {target}."))
    if not problems:
        return Check(True)
    return Check(False, problems[0][0], " ".join(message for _, message in problems))
