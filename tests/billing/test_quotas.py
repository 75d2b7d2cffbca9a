"""Usage metering and quotas: exact counts, 429 quota_exceeded before any work, plan limits."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from billing.models import Usage
from billing.services import month_start
from templates_registry.services import template_publish
from tests.conftest import assert_error
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def og_card(user):
    return template_publish(user=user, files=example_files("og-card")).template


def render(client, template, title):
    return client.post("/api/render", {"template": template.slug, "props": {"title": title}}, format="json")


def set_usage(user, usage_type, count):
    Usage.objects.update_or_create(user=user, type=usage_type, month=month_start(), defaults={"count": count})


def test_spent_image_quota_is_429_before_rendering(user_api, user, og_card):
    set_usage(user, "image_render", 99)
    assert render(user_api, og_card, "the hundredth").status_code == 200
    response = render(user_api, og_card, "one too many")
    error = assert_error(response, 429, "quota_exceeded")
    assert error["details"]["limit"] == 100 and error["details"]["usage"] == 100
    assert error["details"]["resetAt"].endswith("Z") and int(response["Retry-After"]) > 0
    assert Usage.objects.get(user=user, type="image_render").count == 100
    # cached renders cost nothing and still work
    assert render(user_api, og_card, "the hundredth")["X-Render-Cache"] == "HIT"


def test_failed_renders_are_refunded(user_api, user, og_card):
    assert_error(user_api.post("/api/render", {"template": og_card.slug, "props": {}}, format="json"), 400)
    assert not Usage.objects.filter(user=user, type="image_render", count__gt=0).exists()


def test_video_quota_is_counted_when_a_job_is_accepted(user_api, user):
    template_publish(user=user, files=example_files("promo-video"))
    set_usage(user, "video_render", 10)
    body = {"template": f"{user.username}/promo-video", "props": {"headline": "x"}}
    assert_error(user_api.post("/api/render/async", body, format="json"), 429, "quota_exceeded")


def test_usage_endpoint(user_api, user, og_card):
    render(user_api, og_card, "one")
    body = user_api.get("/api/me/usage").json()
    assert body["plan"]["code"] == "free" and body["plan"]["requestsPerMinute"] == 10
    assert body["imageRenders"] == {"used": 1, "limit": 100}
    assert body["videoRenders"] == {"used": 0, "limit": 10}
    assert body["templates"] == {"used": 1, "limit": 5}
    assert body["publishes"]["used"] == 1
    assert body["resetAt"].endswith("Z")


def test_webhooks_need_a_paid_plan(user_api, user):
    template_publish(user=user, files=example_files("promo-video"))
    body = {
        "template": f"{user.username}/promo-video",
        "props": {"headline": "x"},
        "webhook": "https://example.com/h",
    }
    assert_error(user_api.post("/api/render/async", body, format="json"), 403, "plan_limit")


@pytest.fixture
def bursts_allowed(transactional_db):
    """The plans' requests per minute out of the way: these tests are about the quota, and the
    patient client below retries what the renders-in-flight limit refuses (each retry a request)."""
    from billing.defaults import DEFAULT_PLANS
    from billing.models import Plan
    from billing.plans import plans_reload

    for plan in DEFAULT_PLANS:
        Plan.objects.update_or_create(code=plan["code"], defaults={**plan, "requests_per_minute": 100_000})
    plans_reload()
    yield
    plans_reload()


CLIENTS = 20


def render_concurrently(live_server, user, template, titles) -> list[int]:
    """POST /api/render once per title, all at once over real HTTP, as a patient client: a 429
    ``renders_in_flight`` (the plan's renders at a time are running) or a 503 is retried after its
    Retry-After, as the SDKs do. The final status codes; any other 429 must be a spent quota."""
    from accounts.services import tokens_for_user

    token = tokens_for_user(user)["token"]
    statuses = []

    def fire(title):
        deadline = time.monotonic() + 120
        while True:
            response = requests.post(
                f"{live_server.url}/api/render",
                json={"template": template.slug, "props": {"title": title}},
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )
            code = response.json()["error"]["code"] if response.status_code in (429, 503) else None
            retry = code == "renders_in_flight" or response.status_code == 503
            if retry and time.monotonic() < deadline:
                time.sleep(float(response.headers["Retry-After"]))
                continue
            assert code in (None, "quota_exceeded"), response.text
            statuses.append(response.status_code)
            return

    # Twenty clients at once: more than any plan's renders in flight, and fewer than what the test
    # server can take (Django's live server listens with a backlog of five and opens a database
    # connection per thread: a hundred at once on a busy machine meant reset connections and 503s)
    with ThreadPoolExecutor(max_workers=CLIENTS) as clients:
        list(clients.map(fire, titles))
    return statuses


@pytest.mark.django_db(transaction=True)
def test_a_hundred_renders_from_twenty_concurrent_clients_count_exactly_one_hundred(
    live_server, bursts_allowed
):
    """A burst beyond the plan's renders in flight is refused with 429 ``renders_in_flight`` and a
    Retry-After (never a 503 or a render_busy after a wait): a client that retries gets every render,
    and the usage counts each exactly once (issue 23)."""
    from accounts.models import User

    user = User.objects.create_user("many@example.com", "many", "pw-long-enough-123", plan="business")
    template = template_publish(user=user, files=example_files("og-card")).template
    statuses = render_concurrently(live_server, user, template, [f"Render {n}" for n in range(100)])
    assert statuses.count(200) == 100, statuses
    assert Usage.objects.get(user=user, type="image_render").count == 100


@pytest.mark.django_db(transaction=True)
def test_concurrent_renders_never_pass_the_quota(live_server, bursts_allowed):
    from accounts.models import User

    user = User.objects.create_user("edge@example.com", "edge", "pw-long-enough-123")
    template = template_publish(user=user, files=example_files("og-card")).template
    set_usage(user, "image_render", 95)
    statuses = render_concurrently(live_server, user, template, [f"Edge {n}" for n in range(20)])
    assert statuses.count(200) == 5 and statuses.count(429) == 15, statuses  # 429s: quota_exceeded
    assert Usage.objects.get(user=user, type="image_render").count == 100


def test_set_plan_command(user):
    from django.core.management import CommandError, call_command

    call_command("set_plan", user.username, "business")
    user.refresh_from_db()
    assert user.plan == "business"
    with pytest.raises(CommandError):
        call_command("set_plan", user.username, "platinum")
    with pytest.raises(CommandError):
        call_command("set_plan", "nobody-at-all", "pro")


def test_paid_plans_jobs_go_to_the_priority_queue(user_api, user, settings):
    import redis

    template_publish(user=user, files=example_files("promo-video"))
    broker = redis.Redis.from_url(settings.DRAMATIQ_REDIS_URL)
    for key in broker.scan_iter("dramatiq:render*"):
        broker.delete(key)
    body = {"template": f"{user.username}/promo-video", "props": {"headline": "x"}}
    assert user_api.post("/api/render/async", body, format="json").status_code == 202
    assert broker.hlen("dramatiq:render.msgs") == 1 and broker.hlen("dramatiq:render-priority.msgs") == 0
    user.plan = "pro"
    user.save()
    assert user_api.post("/api/render/async", body, format="json").status_code == 202
    assert broker.hlen("dramatiq:render-priority.msgs") == 1


def test_far_from_its_limit_an_account_is_counted_while_its_render_runs(user_api, user, og_card, monkeypatch):
    """Issue 14: the quota's upsert overlaps the render once this process has seen the account far
    from its limit; the count stays exact."""
    from core.renderpool.isolation import RenderPool
    from rendering import services

    services._quota_seen.clear()
    overlapped = []
    real_run = RenderPool.run

    def spy(self, task, **kwargs):
        overlapped.append(kwargs.get("while_rendering") is not None)
        return real_run(self, task, **kwargs)

    monkeypatch.setattr(RenderPool, "run", spy)
    for title in ("one", "two", "three"):
        assert render(user_api, og_card, title).status_code == 200
    assert overlapped == [False, True, True]  # the first learns the count (1 of 100)
    assert Usage.objects.get(user=user, type="image_render").count == 3


def test_a_quota_spent_meanwhile_refuses_the_overlapped_render_and_drops_it(user_api, user, og_card, _media):
    from rendering import services

    services._quota_seen.clear()
    assert render(user_api, og_card, "seen").status_code == 200  # this process saw 1 of 100
    set_usage(user, "image_render", 100)  # other processes spent the rest meanwhile
    outputs = sorted(p.name for p in (_media / "renders").rglob("*.png"))
    assert_error(render(user_api, og_card, "one too many"), 429, "quota_exceeded")
    assert Usage.objects.get(user=user, type="image_render").count == 100
    assert not Usage.objects.filter(user=user, type="render_cpu_ms").exists()  # nothing charged
    assert sorted(p.name for p in (_media / "renders").rglob("*.png")) == outputs  # nothing stored
    assert_error(render(user_api, og_card, "one too many"), 429, "quota_exceeded")  # nor cached
