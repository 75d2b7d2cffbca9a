"""The worker's daily re-verification: a domain whose TXT record disappeared turns failed and stops
serving; a DNS server that does not answer changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent
from domains.models import Domain
from domains.services import domains_recheck_due
from domains.tasks import recheck_domains
from tests.domains.conftest import TARGET, verified_domain

pytestmark = pytest.mark.django_db
HOST = "og.example.com"


def age(domain: Domain, hours: float) -> None:
    Domain.objects.filter(pk=domain.pk).update(last_checked_at=timezone.now() - timedelta(hours=hours))


def test_txt_gone_turns_failed_and_stops_serving(client, biz, local_dns):
    domain = verified_domain(biz, HOST)
    local_dns.publish(domain, target=TARGET)
    assert client.get("/", HTTP_HOST=HOST).status_code == 404  # served (a 404 of ours, not a refused host)
    age(domain, 25)
    local_dns.remove(domain.challenge_name, "TXT")
    assert domains_recheck_due() == {"checked": 1, "failed": 1}
    domain.refresh_from_db()
    assert domain.status == "failed" and domain.failure_reason == "txt_missing"
    assert client.get("/", HTTP_HOST=HOST).status_code == 400  # an unknown host again


def test_records_still_there_stay_verified(biz, local_dns):
    domain = verified_domain(biz, HOST)
    local_dns.publish(domain, target=TARGET)
    age(domain, 25)
    assert domains_recheck_due() == {"checked": 1, "failed": 0}
    domain.refresh_from_db()
    assert domain.status == "verified" and domain.last_checked_at > timezone.now() - timedelta(minutes=1)


def test_only_domains_due_are_looked_up(biz, local_dns):
    domain = verified_domain(biz, HOST)  # no records at all: a lookup would fail it
    age(domain, 23)
    assert domains_recheck_due() == {"checked": 0, "failed": 0}
    assert Domain.objects.get().status == "verified"


def test_a_timeout_leaves_it_verified(biz, silent_dns):
    domain = verified_domain(biz, HOST)
    age(domain, 25)
    assert domains_recheck_due() == {"checked": 0, "failed": 0}
    domain.refresh_from_db()
    assert domain.status == "verified" and domain.last_checked_at < timezone.now() - timedelta(hours=24)


def test_the_actor_and_the_command(team, local_dns):
    domain = verified_domain(team.org, "og.acme.example")
    age(domain, 30)
    recheck_domains.fn()  # what the worker runs
    assert Domain.objects.get().status == "failed"
    assert AuditEvent.objects.filter(org=team.org, action="domain.failed", actor=None).exists()
    call_command("recheck_domains")  # nothing due any more


def test_verifying_schedules_the_hourly_run_once(
    biz_api, biz, local_dns, monkeypatch, django_capture_on_commit_callbacks
):
    import dramatiq

    from domains.schedule import RECHECK_DOMAINS, RECHECK_EVERY_MS

    sent = []
    actor = dramatiq.get_broker().get_actor(RECHECK_DOMAINS)
    monkeypatch.setattr(actor, "send_with_options", lambda **options: sent.append(options))
    for name in ("og.example.com", "img.example.com"):
        created = biz_api.post("/api/domains", {"domain": name}, format="json").json()
        local_dns.publish(Domain.objects.get(public_id=created["id"]), target=TARGET)
        with django_capture_on_commit_callbacks(execute=True):
            assert biz_api.post(f"/api/domains/{created['id']}/verify").json()["status"] == "verified"
    assert sent == [{"delay": RECHECK_EVERY_MS}]  # one pending message, not one per verification
    recheck_domains.fn()  # the run schedules the next while verified domains remain
    assert len(sent) == 2


def test_a_downgrade_stops_the_domains_at_once(client, biz, local_dns):
    from billing.services import plan_set

    domain = verified_domain(biz, HOST)
    local_dns.publish(domain, target=TARGET)
    assert client.get("/", HTTP_HOST=HOST).status_code == 404  # served
    plan_set(user=biz, code="pro")  # no custom domains on Pro: not a day later, now
    domain.refresh_from_db()
    assert domain.status == "failed" and domain.failure_reason == "plan_limit"
    assert client.get("/", HTTP_HOST=HOST).status_code == 400
    age(domain, 25)
    assert domains_recheck_due() == {"checked": 0, "failed": 0}  # nothing left for the daily check


def test_a_plan_that_keeps_domains_leaves_them_serving(client, biz, local_dns):
    from billing.services import plan_set

    domain = verified_domain(biz, HOST)
    local_dns.publish(domain, target=TARGET)
    plan_set(user=biz, code="business", expires_at=timezone.now() + timedelta(days=30))  # a trial of the same
    domain.refresh_from_db()
    assert domain.status == "verified"
    assert client.get("/", HTTP_HOST=HOST).status_code == 404
