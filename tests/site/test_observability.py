import re

import pytest

pytestmark = pytest.mark.django_db


def test_request_ids_are_made_or_passed_through(client):
    made = client.get("/healthz?storage=0")["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert (
        client.get("/healthz?storage=0", HTTP_X_REQUEST_ID="edge-1234abcd")["X-Request-Id"] == "edge-1234abcd"
    )
    assert client.get("/healthz?storage=0", HTTP_X_REQUEST_ID="bad id\n")["X-Request-Id"] != "bad id\n"


def test_metrics_need_the_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    body = response.content.decode()
    assert "loopwind_render_seconds" in body and "loopwind_render_jobs_total" in body
    assert 'loopwind_queue_depth{queue="render"}' in body


def test_renders_are_measured(user_api, user, settings, client):
    from templates_registry.services import template_publish
    from tests.templates_registry.helpers import example_files

    template_publish(user=user, files=example_files("og-card"))
    body = {"template": f"{user.username}/og-card", "props": {"title": "measured"}}
    user_api.post("/api/render", body, format="json")
    user_api.post("/api/render", body, format="json")
    settings.METRICS_TOKEN = "t0ken-value"
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t0ken-value").content.decode()
    assert 'loopwind_render_seconds_count{cache="miss",format="png"}' in text
    assert 'loopwind_render_seconds_count{cache="hit",format="png"}' in text


def test_json_logs_carry_the_request_id(settings):
    import io
    import json
    import logging
    import logging.config

    stream = io.StringIO()
    config = {**settings.LOGGING}
    config["handlers"] = {"console": {**config["handlers"]["console"], "formatter": "json", "stream": stream}}
    logging.config.dictConfig(config)
    from core.observability import request_id_var

    token = request_id_var.set("req-abcdef12")
    logging.getLogger("loopwind.test").warning("hello %s", "world")
    request_id_var.reset(token)
    logging.config.dictConfig(settings.LOGGING)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["request_id"] == "req-abcdef12" and line["message"] == "hello world"
