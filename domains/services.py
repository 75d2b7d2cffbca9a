"""Adding, verifying, re-verifying and removing custom domains."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import User
from billing.errors import PlanLimit
from billing.plans import plan_limits
from core.errors import TooManyRequests
from domains import dns, hosts
from domains.errors import DomainNotFound, DomainTaken
from domains.models import Domain
from domains.names import domain_normalize
from domains.schedule import recheck_schedule
from domains.selectors import domain_get

logger = logging.getLogger(__name__)
Status = Domain.Status


@transaction.atomic
def domain_add(*, account: User, domain: str, actor: User | None = None) -> Domain:
    """A pending domain with its challenge token; the DNS records to create come with it."""
    name = domain_normalize(domain)
    User.objects.select_for_update().filter(pk=account.pk).first()  # counted under the account's lock
    if Domain.objects.filter(account=account, domain=name).exists():
        raise DomainTaken(
            f"{name} is already one of your domains.", code="domain_exists", details={"domain": name}
        )
    if Domain.objects.filter(domain=name, status=Status.VERIFIED).exclude(account=account).exists():
        raise DomainTaken(f"{name} is in use by another account.", details={"domain": name})
    plan = plan_limits(account)
    used = Domain.objects.filter(account=account).count()
    if used >= plan.custom_domains:
        raise PlanLimit(
            f"The {plan.name} plan has no custom domains; they come with Business."
            if plan.custom_domains == 0
            else f"The {plan.name} plan has {plan.custom_domains} custom domains, all in use: remove one first.",
            details={"customDomains": plan.custom_domains, "used": used, "plan": plan.code},
        )
    row = Domain.objects.create(account=account, domain=name)
    audit.record(account=account, actor=actor, action="domain.added", target=name)
    return row


def domain_verify(*, account: User, domain_id: str, actor: User | None = None) -> Domain:
    """Looks the records up now (outside any transaction: DNS may take seconds) and records the outcome."""
    domain = domain_get(account=account, domain_id=domain_id)
    interval = settings.DOMAIN_VERIFY_INTERVAL
    # A lookup may hold a web worker for up to two DNS timeouts: one at a time per domain, spaced out.
    if interval and not cache.add(f"domains:verifying:{domain.pk}", 1, timeout=interval):
        raise TooManyRequests(
            f"{domain.domain} was just checked; try again in {interval} seconds.",
            code="verify_too_soon",
            retry_after=interval,
        )
    return _record(domain, _check(domain, account), actor=actor)


def _check(domain: Domain, account: User) -> dns.Check:
    """The DNS check, unless the account's plan no longer has custom domains (a downgrade): then the
    domain fails without a lookup, and stops serving."""
    plan = plan_limits(account)
    if plan.custom_domains == 0:
        return dns.Check(
            False, "plan_limit", f"The {plan.name} plan has no custom domains; they come with Business."
        )
    return dns.check(domain=domain.domain, token=domain.challenge_token)


def _record(
    domain: Domain, result: dns.Check, *, actor: User | None = None, scheduled: bool = False
) -> Domain:
    now = timezone.now()
    was = domain.status
    with transaction.atomic():
        domain = Domain.objects.select_for_update().filter(pk=domain.pk).first()
        if domain is None:  # removed while its records were looked up
            raise DomainNotFound()
        domain.last_checked_at = now
        domain.failure_reason, domain.failure_message = result.reason, result.message[:500]
        if result.ok:
            if domain.status != Status.VERIFIED and _verified_elsewhere(domain):
                domain.status = Status.FAILED
                domain.failure_reason = "domain_taken"
                domain.failure_message = f"{domain.domain} is in use by another account."
            else:
                domain.status = Status.VERIFIED
                domain.verified_at = domain.verified_at or now
        elif not (result.transient and domain.status == Status.VERIFIED):
            # A DNS server that does not answer proves nothing: a verified domain stays so.
            domain.status = Status.FAILED
        try:
            with transaction.atomic():
                domain.save()
        except IntegrityError:  # another account proved it at the same moment
            domain.status = Status.FAILED
            domain.failure_reason = "domain_taken"
            domain.failure_message = f"{domain.domain} is in use by another account."
            domain.save()
        hosts.forget(domain.domain)
        if domain.status != was:
            action = "domain.verified" if domain.status == Status.VERIFIED else f"domain.{domain.status}"
            audit.record(account=domain.account, actor=actor, action=action, target=domain.domain,
                         reason=domain.failure_reason, scheduled=scheduled)  # fmt: skip
    if domain.status == Status.VERIFIED:
        transaction.on_commit(recheck_schedule)
    if scheduled and was == Status.VERIFIED and domain.status != Status.VERIFIED:
        logger.warning("custom domain %s failed re-verification: %s", domain.domain, domain.failure_reason)
    return domain


def domains_plan_enforce(*, account_id: int) -> int:
    """After the account's plan changed (billing's plan_set, the Stripe sync): a plan without custom
    domains stops its verified ones at once, as failed ``plan_limit``, rather than at the daily
    re-verification. Returns how many stopped."""
    account = User.objects.filter(pk=account_id).first()
    if account is None or plan_limits(account).custom_domains:
        return 0
    serving = list(Domain.objects.filter(account=account, status=Status.VERIFIED))
    for domain in serving:
        _record(domain, _check(domain, account))
    return len(serving)


def _verified_elsewhere(domain: Domain) -> bool:
    return Domain.objects.filter(domain=domain.domain, status=Status.VERIFIED).exclude(pk=domain.pk).exists()


@transaction.atomic
def domain_remove(*, account: User, domain_id: str, actor: User | None = None) -> None:
    domain = domain_get(account=account, domain_id=domain_id)
    domain.delete()
    hosts.forget(domain.domain)
    audit.record(account=account, actor=actor, action="domain.removed", target=domain.domain)


def _due(now=None):
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.DOMAIN_RECHECK_HOURS)
    return Domain.objects.filter(status=Status.VERIFIED, last_checked_at__lt=cutoff)


def domains_recheck_due(*, now=None, limit: int = 500) -> dict[str, int]:
    """Verified domains last looked up more than DOMAIN_RECHECK_HOURS ago are looked up again;
    one whose records are gone turns failed (and stops serving). A DNS timeout leaves it as it is,
    for the next run."""
    counts = {"checked": 0, "failed": 0}
    for domain in _due(now).select_related("account").order_by("last_checked_at")[:limit]:
        result = _check(domain, domain.account)
        if result.transient:
            logger.info("domain %s: %s (left as it is)", domain.domain, result.reason)
            continue
        counts["checked"] += 1
        if _record(domain, result, scheduled=True).status != Status.VERIFIED:
            counts["failed"] += 1
    return counts


def domains_to_recheck_exist() -> bool:
    return Domain.objects.filter(status=Status.VERIFIED).exists()
