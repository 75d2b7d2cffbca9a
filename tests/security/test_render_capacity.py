"""Issue 22 (1), against real gunicorn with real render children: a free account flooding renders
whose cost grows with a prop (an SVG feTurbulence with the octave count from a prop) could hold every
render child, and everyone else's renders failed with render_busy after 10 s; the timed-out renders
gave their quota back, so it cost nothing. Now another account's renders keep their normal time, the
flood is refused beyond the account's renders in flight, and every render that ran is paid for."""

import json
import os
import statistics
import threading
import time
from datetime import timedelta

import pytest
import requests
from django.conf import settings as django_settings

from accounts.services import api_key_create
from billing.models import Plan, Usage
from rendering.maintenance import render_counts_flush
from templates_registry.services import template_publish
from tests.factories import UserFactory
from tests.rendering.worker import live_database_url
from tests.servers import WebServer
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = {
    "loopwind.json": json.dumps(
        {
            "name": "turbulence",
            "type": "image",
            "engine": "svg",
            "size": {"width": 1600, "height": 1600},
            # Cheap by default (the publish's smoke render must not time out on a busy machine):
            # the flood asks for the whole canvas at ten octaves.
            "props": {
                "octaves": {"type": "integer", "default": 1, "min": 1, "max": 10},
                "extent": {"type": "integer", "default": 16, "min": 1, "max": 1600},
            },
        }
    ),  # fmt: skip
    "template.svg": (
        '<svg xmlns="http://www.w3.org/2000/svg" width="{{ width }}" height="{{ height }}"><defs><filter id="f">'
        '<feTurbulence baseFrequency="0.004" numOctaves="{{ octaves }}"/></filter></defs>'
        '<rect width="{{ extent }}" height="{{ extent }}" filter="url(#f)"/></svg>'
    ),
}


def test_one_account_flooding_slow_renders_does_not_starve_another(live_server, tmp_path, _media):
    Plan.objects.filter(code="free").update(render_time_limit=4)  # keep the test short: 4 s a render
    attacker, victim = UserFactory(plan="free"), UserFactory(plan="free")
    template_publish(user=attacker, files=SLOW)
    template_publish(user=victim, files=example_files("og-card"))
    attack_key = api_key_create(user=attacker, name="flood")[1]
    victim_key = api_key_create(user=victim, name="app")[1]
    env = {
        **os.environ,
        "DATABASE_URL": live_database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "CACHE_KEY_PREFIX": django_settings.CACHES["default"].get("KEY_PREFIX", "lw"),
        "SECRET_KEY": django_settings.SECRET_KEY,
        "MEDIA_ROOT": str(_media),
        "RATE_LIMITS_ENABLED": "0",  # the rate limit is not what is under test
        "RENDER_PROCESSES": "1",  # one render child per web process, as in production
    }
    server = WebServer(tmp_path, env, workers=2)
    server.start()

    def render(key, body):
        started = time.monotonic()
        response = requests.post(f"{server.url}/api/render", json=body, timeout=60,
                                  headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        return response, time.monotonic() - started

    def victim_render(n):
        return render(victim_key, {"template": f"{victim.username}/og-card", "props": {"title": f"Card {n}"}})

    try:
        for n in range(2):
            assert victim_render(f"warm {n}")[0].status_code == 200  # both workers' children started
        normal = statistics.median(victim_render(f"normal {n}")[1] for n in range(3))

        flood: list[int] = []
        stop = threading.Event()

        def attack():
            while not stop.is_set():
                response, _ = render(attack_key, {"template": f"{attacker.username}/turbulence",
                                                  "props": {"octaves": 10, "extent": 1600}})  # fmt: skip
                flood.append(response.status_code)

        attackers = [threading.Thread(target=attack) for _ in range(6)]
        for thread in attackers:
            thread.start()
        time.sleep(1)  # the flood is on: every attacker thread has asked at least once
        during = [victim_render(f"during {n}") for n in range(6)]
        stop.set()
        for thread in attackers:
            thread.join()
    finally:
        server.stop()

    assert [response.status_code for response, _ in during] == [200] * 6
    slowest = max(seconds for _, seconds in during)
    assert slowest < max(3 * normal, normal + 2.5), (normal, [round(s, 2) for _, s in during])
    # the flood got one render at a time; the rest was refused at once, and what ran was paid for
    assert 429 in flood and set(flood) <= {200, 422, 429}, flood
    render_counts_flush(settle=timedelta(0))  # the worker's minute upkeep: render records and their CPU time
    ran = Usage.objects.filter(user=attacker, type="image_render").values_list("count", flat=True).first()
    assert ran and ran >= 1, ran
    spent = Usage.objects.get(user=attacker, type="render_cpu_ms").count
    assert spent >= 1000, spent  # timed-out renders are charged, and visible in usage
