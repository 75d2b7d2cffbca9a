from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from domains.errors import DomainNotFound, DomainNotVerified
from domains.models import Domain


def domain_list(*, account: User) -> QuerySet[Domain]:
    return Domain.objects.filter(account=account).order_by("created_at", "pk")


def domain_get(*, account: User, domain_id: str) -> Domain:
    """The account's domain by its dom_ id or its name; 404 for anyone else's."""
    found = Domain.objects.filter(account=account)
    found = (
        found.filter(public_id=domain_id)
        if domain_id.startswith("dom_")
        else found.filter(domain=domain_id.strip().lower().rstrip("."))
    )
    domain = found.first()
    if domain is None:
        raise DomainNotFound()
    return domain


def domain_for_signing(*, account: User, name: str) -> Domain:
    """A verified domain of the account, for URLs signed on it (400 otherwise: a bad argument)."""
    clean = (name or "").strip().lower().rstrip(".")
    domain = Domain.objects.filter(account=account, domain=clean).first()
    if domain is None:
        raise DomainNotVerified(
            f"{clean or 'That domain'} is not a domain of {account.username}: add it with POST /api/domains.",
            code="unknown_domain",
            details={"domain": clean},
        )
    if domain.status != Domain.Status.VERIFIED:
        raise DomainNotVerified(
            f"{clean} is {domain.status}, not verified: URLs on it would not load.",
            details={"domain": clean, "status": domain.status},
        )
    return domain
