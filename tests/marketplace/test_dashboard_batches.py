"""The dashboard's render history lists the member's batches (and nobody else's), with their rows."""

import pytest

from rendering import batch as batches
from rendering.batch_worker import batch_chunk_run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_render_history_lists_own_batches(official, member, member_client, monkeypatch):
    owner, templates = official
    member.plan = "pro"
    member.save()
    sent = []
    monkeypatch.setattr(batches, "enqueue", lambda actor, *args, **kw: sent.append(args))
    template = templates["og-card"]
    version = template.versions.get()

    def make(user, titles):
        batch, _ = batches.render_batch_create(
            user=user, template=template, version=version, fmt="png",
            rows=batches.rows_from_json([{"title": t} for t in titles]),
        )  # fmt: skip
        batches.render_batch_enqueue(batch=batch)
        return batch

    mine = make(member, ["One", "Two", "Three"])
    for args in sent:
        batch_chunk_run(*args)
    assert "No batches yet" not in member_client.get("/dashboard/renders").content.decode()
    other = UserFactory(plan="pro")
    theirs = make(other, ["Secret"])
    page = member_client.get("/dashboard/renders")
    assert page.status_code == 200
    body = page.content.decode()
    assert mine.public_id in body and "3 of 3 rendered" in body and "completed" in body
    assert theirs.public_id not in body
