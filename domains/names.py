"""Which host names an account may add. A name is kept as DNS compares it: lower case, ASCII (an
internationalised name in its IDNA ``xn--`` form), no trailing dot."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings

from domains.errors import DomainInvalid

MAX_NAME = 253
MAX_LABEL = 63
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def cname_target() -> str:
    """What customers point their name at: LOOPWIND_DOMAIN_TARGET, else SITE_URL's host."""
    return settings.LOOPWIND_DOMAIN_TARGET or (urlsplit(settings.SITE_URL).hostname or "").lower()


def our_names() -> set[str]:
    """Our own names: nobody may add them or anything under them (a customer domain must never
    share cookies, or be taken for, the site)."""
    site = (urlsplit(settings.SITE_URL).hostname or "").lower()
    names = {cname_target(), site, site.removeprefix("www."), "localhost"}
    for host in settings.ALLOWED_HOSTS:
        host = host.strip().lower().lstrip(".")
        if host and host != "*" and not host.startswith("["):
            names.add(host.split(":")[0])
    return {name.rstrip(".") for name in names if name}


def domain_normalize(raw: str) -> str:
    """The name in its stored form, or DomainInvalid with a code saying what is wrong."""
    name = (raw or "").strip()
    if not name:
        raise DomainInvalid("Give a host name, like og.example.com.", code="domain_invalid")
    if "://" in name or "/" in name or "@" in name or "?" in name or "#" in name:
        raise DomainInvalid(
            "Give the host name alone (og.example.com), without a scheme, path or port.",
            code="domain_invalid",
        )
    if "*" in name:
        raise DomainInvalid(
            "Wildcard domains are not supported: add each name (og.example.com) on its own.",
            code="domain_wildcard",
        )
    bare = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        raise DomainInvalid(
            "An IP address cannot be a custom domain: use a host name.", code="domain_ip_literal"
        )
    if name.endswith("."):
        name = name[:-1]
    if not name.isascii():
        try:
            hint = name.encode("idna").decode("ascii").lower()
        except UnicodeError:
            hint = ""
        raise DomainInvalid(
            "Internationalised names must be given in their IDNA (xn--) form"
            + (f": {hint}." if hint else "."),
            code="domain_not_idna",
            details={"idna": hint} if hint else {},
        )
    name = name.lower()
    if ":" in name:
        raise DomainInvalid("Give the host name without a port.", code="domain_invalid")
    if len(name) > MAX_NAME:
        raise DomainInvalid(f"A domain name has at most {MAX_NAME} characters.", code="domain_too_long")
    labels = name.split(".")
    if len(labels) < 2:
        raise DomainInvalid("A custom domain has at least one dot (og.example.com).", code="domain_no_dot")
    for label in labels:
        if len(label) > MAX_LABEL:
            raise DomainInvalid(
                f"Each part of a domain name has at most {MAX_LABEL} characters.",
                code="domain_too_long",
                details={"label": label[:80]},
            )
        if not _LABEL.match(label):
            raise DomainInvalid(
                f"{label or '(empty)'!s} is not a valid part of a host name: letters, digits and inner hyphens only.",
                code="domain_invalid",
                details={"label": label[:80]},
            )
        if label.startswith("xn--"):
            _check_punycode(label)
    if labels[-1].isdigit():
        raise DomainInvalid("The last part of a domain name cannot be a number.", code="domain_invalid")
    for ours in our_names():
        if name == ours or name.endswith("." + ours):
            raise DomainInvalid(
                f"{name} is this service's own domain; add a name of yours.", code="domain_reserved"
            )
    return name


def _check_punycode(label: str) -> None:
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except UnicodeError:
        decoded = ""
    if not decoded or decoded.isascii():
        raise DomainInvalid(
            f"{label} is not a valid IDNA label.", code="domain_invalid", details={"label": label}
        )
