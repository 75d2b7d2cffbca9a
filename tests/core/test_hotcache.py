"""core.hotcache: the hit path's round trip on a connection of the thread's own (issue 14), and
rows of one entry related without the descriptors' checks. Needs Redis (REDIS_URL), as the hit
paths do; skipped on the local-memory cache."""

import threading

import pytest
from django.core.cache import cache

from accounts.models import User
from core import hotcache
from rendering.models import RenderSecrets
from templates_registry.models import Template, TemplateVersion

redis_only = pytest.mark.skipif(hotcache._client() is None, reason="needs REDIS_URL")


@pytest.fixture
def values():
    redis = hotcache._client()
    keys = [cache.make_key(f"test-hotcache:{n}") for n in range(3)]
    for n, key in enumerate(keys):
        redis.set(key, f"value {n}")
    yield keys
    redis.delete(*keys)


def gets(keys):
    return hotcache.read([], gets=keys).values


@redis_only
def test_reads_share_the_threads_connection_and_leave_the_pool_alone(values):
    redis = hotcache._client()
    assert gets(values) == [b"value 0", b"value 1", b"value 2"]
    held = hotcache._held.connection[2]
    in_use = set(redis.connection_pool._in_use_connections)
    assert gets(values[1:]) == [b"value 1", b"value 2"]
    assert hotcache._held.connection[2] is held and redis.connection_pool._in_use_connections == in_use

    other = []
    thread = threading.Thread(target=lambda: other.append((gets(values[:1]), hotcache._held.connection[2])))
    thread.start()
    thread.join()
    assert other[0][0] == [b"value 0"] and other[0][1] is not held  # every thread its own


@redis_only
def test_a_read_interrupted_between_send_and_reply_never_hands_its_reply_to_the_next(values, monkeypatch):
    """A timeout or a signal after EVALSHA was sent leaves its reply on the socket: the connection is
    dropped, so the next read (another request) gets its own reply, not the late one."""
    assert gets(values[:1]) == [b"value 0"]
    connection = hotcache._held.connection[2]
    real = type(connection).read_response

    def interrupted(self, *args, **kwargs):
        monkeypatch.setattr(type(connection), "read_response", real)
        raise KeyboardInterrupt  # after sending, before reading

    monkeypatch.setattr(type(connection), "read_response", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gets(values[:1])
    assert gets(values[2:]) == [b"value 2"]


@redis_only
def test_a_forked_process_connects_anew(values, monkeypatch):
    assert gets(values[:1]) == [b"value 0"]
    parents = hotcache._held.connection[2]
    monkeypatch.setattr(hotcache.os, "getpid", lambda: -1)  # as in a gunicorn worker after the fork
    assert gets(values[1:2]) == [b"value 1"]
    assert hotcache._held.connection[2] is not parents


@redis_only
def test_a_lost_script_is_sent_whole_and_the_connection_stays_in_step(values):
    hotcache._client().script_flush()
    assert gets(values[:2]) == [b"value 0", b"value 1"]
    assert gets(values[2:]) == [b"value 2"]


def test_relate_caches_both_sides_as_the_descriptors_do():
    owner = User(pk=5, username="ada")
    secrets = RenderSecrets(pk=9, user_id=5)
    hotcache.relate(owner, "render_secrets", secrets)  # the reverse side of a one-to-one
    assert owner.render_secrets is secrets and secrets.user is owner

    template = Template(pk=3, owner_id=5, latest_version_id=7)
    version = TemplateVersion(pk=7, template_id=3)
    hotcache.relate(template, "owner", owner)
    hotcache.relate(template, "latest_version", version)
    hotcache.relate(version, "template", template)
    assert template.owner is owner and template.latest_version is version and version.template is template


def test_relate_assigns_rows_that_do_not_belong_together_as_usual():
    template = Template(pk=3, owner_id=5)
    other = User(pk=6, username="bob")
    hotcache.relate(template, "owner", other)  # the descriptor: the column follows the object
    assert template.owner is other and template.owner_id == 6
    secrets = RenderSecrets(pk=9, user_id=8)
    hotcache.relate(other, "render_secrets", secrets)
    assert other.render_secrets is secrets and secrets.user_id == 6
    hotcache.relate(template, "latest_version", None)
    assert template.latest_version is None and template.latest_version_id is None
