"""Issue 14 (3): a sync render's Render row and the template's counter are written by the worker's
minute upkeep from a Redis list, never on the request; nothing is lost when the web process dies
right after answering, and a flush that dies leaves its claim for the next."""

import signal
from datetime import timedelta

import pytest
import requests

from accounts.services import api_key_create
from billing.models import Usage
from core import durablelog
from rendering import renderlog
from rendering.maintenance import render_counts_flush
from rendering.models import Render
from templates_registry.models import Template
from tests.servers import WebServer, site_env

pytestmark = pytest.mark.django_db(transaction=True)
NOW = timedelta(0)


def test_the_render_survives_its_web_process_being_killed(user, published, tmp_path, _media):
    key = api_key_create(user=user, name="kill")[1]
    server = WebServer(tmp_path, site_env(_media), workers=1)
    server.start()
    try:
        response = requests.post(
            f"{server.url}/api/render",
            json={"template": f"{user.username}/og-card", "props": {"title": "Killed after"}},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert response.status_code == 200 and response.headers["X-Render-Cache"] == "MISS"
        render_id = response.headers["X-Render-Id"]
    finally:
        server.stop(signal.SIGKILL)  # the master and its worker, no graceful anything
    assert not Render.objects.exists()  # nothing was written on the request path
    assert render_counts_flush(settle=NOW) == 1
    row = Render.objects.get()
    assert row.public_id == render_id and row.user == user and row.source == "api" and row.counted
    assert Template.objects.get(pk=published["og-card"].pk).renders == 1


def test_a_flush_that_dies_leaves_its_claim_to_the_next(user_api, user, published, monkeypatch):
    slug = f"{user.username}/og-card"
    for title in ("one", "two", "three"):
        assert (
            user_api.post(
                "/api/render", {"template": slug, "props": {"title": title}}, format="json"
            ).status_code
            == 200
        )
    real_insert = renderlog.insert

    def dies_after_claiming(claims):
        real_insert(claims)
        raise RuntimeError("the worker died mid-flush")

    monkeypatch.setattr(renderlog, "insert", dies_after_claiming)
    with pytest.raises(RuntimeError):
        render_counts_flush(settle=NOW)
    assert not Render.objects.exists()  # rolled back; the records sit in the dead flush's claim
    monkeypatch.undo()
    assert render_counts_flush(settle=NOW) == 3
    assert Render.objects.count() == 3 and Template.objects.get(pk=published["og-card"].pk).renders == 3
    assert render_counts_flush(settle=NOW) == 0  # the claim was released: nothing twice


def test_without_redis_the_row_is_written_at_once(user, published, monkeypatch):
    def down():
        raise ConnectionError("redis down")

    class Down:
        def rpush(self, *args):
            down()

    monkeypatch.setattr(durablelog, "client", lambda: Down())
    template = published["og-card"]
    render_id = renderlog.render_log(
        user_id=user.pk, template_id=template.pk, version_id=template.latest_version_id, format="png",
        scale=1, cache_key="k" * 64, output="renders/kk/x.png", size=1, duration_ms=1, source="api", cpu_ms=7,
    )  # fmt: skip
    assert Render.objects.get().public_id == render_id
    assert Usage.objects.get(user=user, type="render_cpu_ms").count == 7  # with the row, at once


def test_a_release_that_fails_writes_the_row_at_once(user_api, user, published, monkeypatch):
    """The record goes with the renders-in-flight slot's release (one round trip); when that round
    trip fails, the row is written by the process at once (after its response) instead of lost, and
    the render still answers. The failure is injected at the socket write of the release only."""
    from redis.connection import AbstractConnection

    real = AbstractConnection.send_packed_command

    def release_fails(self, command, *args, **kwargs):
        packed = command if isinstance(command, bytes) else b"".join(command)
        if b"ZREM" in packed:
            raise ConnectionError("redis went away")
        return real(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", release_fails)
    slug = f"{user.username}/og-card"
    response = user_api.post("/api/render", {"template": slug, "props": {"title": "lost?"}}, format="json")
    assert response.status_code == 200 and response["X-Render-Cache"] == "MISS"
    assert Render.objects.get().public_id == response["X-Render-Id"]
    monkeypatch.undo()
    assert render_counts_flush(settle=NOW) == 1  # the row is counted into the template's renders, once
    assert Render.objects.count() == 1 and Template.objects.get(pk=published["og-card"].pk).renders == 1


def test_the_cpu_time_reaches_usage_with_its_row_once(user_api, user, published):
    """A sync render's CPU time travels in its record (one commit fewer on the request) and is added
    to usage by the flush that inserts the row, once, even when a claim is inserted again."""
    from django.db import transaction

    slug = f"{user.username}/og-card"
    for title in ("cpu one", "cpu two"):
        response = user_api.post("/api/render", {"template": slug, "props": {"title": title}}, format="json")
        assert response.status_code == 200 and response["X-Render-Cache"] == "MISS"
    assert not Usage.objects.filter(user=user, type="render_cpu_ms").exists()  # nothing on the request
    claims = renderlog.claim()
    with transaction.atomic():  # a flush that committed, then died before releasing its claim
        renderlog.insert(claims)
    spent = Usage.objects.get(user=user, type="render_cpu_ms").count
    assert spent > 0
    render_counts_flush(settle=NOW)  # the next flush inserts that claim again
    assert Render.objects.count() == 2
    assert Usage.objects.get(user=user, type="render_cpu_ms").count == spent
