"""Issue 16: `loopwind analytics` (totals, a sparkline, a table, --group-by, --csv to stdout or --out)
and `loopwind analytics errors`, the installed executable against a live server, after real
traffic counted and flushed as the web process and the worker would; --org shows an organization's
traffic; the Free plan's limits are the permission exit code with the server's sentence."""

import csv
import io

import pytest
import requests

from accounts.models import User
from analytics.collector import collector
from analytics.services import analytics_flush
from billing.services import plan_set
from tests.cli.helpers import api_key, register
from tests.cli.test_cli_live import make_cli, server  # noqa: F401  (fixtures)
from tests.cli.test_cli_orgs_live import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def flushed():
    collector.flush()
    analytics_flush()


def traffic(url: str, key: str, *, ok: int, missing: int) -> list[str]:
    """``ok`` reads of the usage and ``missing`` 404s (a template nobody has); the 404s' request ids."""
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(ok):
        assert requests.get(f"{url}/api/me/usage", headers=headers, timeout=30).status_code == 200
    ids = []
    for _ in range(missing):
        response = requests.get(f"{url}/api/templates/nobody/missing", headers=headers, timeout=30)
        assert response.status_code == 404
        ids.append(response.headers["X-Request-Id"])
    return ids


def test_analytics_totals_groups_csv_and_errors(server, make_cli):  # noqa: F811
    account = register(server, "stats@example.com", plan="business")
    key = api_key(server, account["token"])["key"]
    request_ids = traffic(server, key, ok=4, missing=2)
    flushed()
    cli = make_cli("stats", api_key=key)
    made = 1 + 4 + 2  # creating the key (the session's POST /api/keys) counts too

    body = cli.json("analytics", "--interval", "minute")
    assert (body["totals"]["requests"], body["totals"]["errors"], body["totals"]["renders"]) == (made, 2, 0)
    human = cli("analytics", "--interval", "minute").stdout
    assert f"Requests {made} · errors 2 ({100 * 2 / made:.1f}%) · renders 0" in human
    assert "█" in human.splitlines()[1]  # the sparkline's busiest minute
    routes = cli.json("analytics", "--interval", "hour", "--group-by", "route")
    per_route = {s["group"]: s["totals"]["requests"] for s in routes["series"]}
    assert per_route == {
        "GET /api/me/usage": 4,
        "GET /api/templates/{username}/{name}": 2,
        "POST /api/keys": 1,
    }
    piped = cli("analytics", "--interval", "hour", "--group-by", "route").stdout
    assert "GET /api/me/usage\t4\t0\t0\t" in piped  # piped: tab-separated, one row per route

    rows = list(csv.DictReader(io.StringIO(cli("analytics", "--interval", "hour", "--csv").stdout)))
    assert sum(int(row["requests"]) for row in rows) == made and {row["group"] for row in rows} == {""}
    written = cli("analytics", "--group-by", "status", "--out", "traffic.csv")
    assert "Wrote traffic.csv" in written.stderr and written.stdout == ""
    by_status = csv.DictReader(io.StringIO((cli.cwd / "traffic.csv").read_text()))
    totals = {}
    for row in by_status:
        totals[row["group"]] = totals.get(row["group"], 0) + int(row["requests"])
    assert totals == {"2xx": 5, "4xx": 2}

    errors = cli.json("analytics", "errors")
    assert [e["requestId"] for e in errors] == list(reversed(request_ids))  # newest first
    assert {e["status"] for e in errors} == {404} and all(e["code"] and e["route"] for e in errors)
    listed = cli("analytics", "errors", "--limit", "1").stdout
    assert request_ids[-1] in listed and request_ids[0] not in listed


def test_analytics_for_an_org_and_the_free_plans_limits(server, make_cli):  # noqa: F811
    alice, _ = signed_in(make_cli, server, "alice@example.com", "alice")
    alice.json("orgs", "create", "acme")
    plan_set(user=User.objects.get(username="acme"), code="business")
    org_key = alice.json("keys", "create", "ci", "--org", "acme")["key"]
    traffic(server, org_key, ok=3, missing=1)
    flushed()

    # acme's traffic: the key's 4 requests, and alice's own `keys create --org acme` (her session acting
    # for acme, so acme's, with no API key)
    acme = alice.json("analytics", "--org", "acme", "--interval", "minute", "--group-by", "key")
    per_key = {s["label"].split(" (lw_")[0]: s["totals"]["requests"] for s in acme["series"]}
    assert per_key == {"ci": 4, "(no API key)": 1}
    assert acme["totals"]["errors"] == 1
    assert alice("analytics", "--org", "acme").stdout.startswith("acme: per day")
    assert alice.json("analytics", "errors", "--org", "acme")[0]["status"] == 404
    # nothing is flushed meanwhile (the tests flush by hand), so the CLI's own calls do not move these
    assert alice.json("analytics", LOOPWIND_ACCOUNT="acme")["totals"] == acme["totals"]

    # alice's own account (Free): not acme's traffic, and 7 days by day, grouped by route or status
    mine = alice.json("analytics")
    assert mine["totals"]["errors"] == 0 and alice.json("analytics", "errors") == []
    refused = alice("analytics", "--interval", "minute", expect=3)
    assert refused.stderr.startswith("error: Your plan (Free) shows analytics by day")
    assert (
        "groups analytics by route, status" in alice("analytics", "--group-by", "template", expect=3).stderr
    )
    assert "ISO 8601" in alice("analytics", "--from", "yesterday", expect=1).stderr


def test_the_sparkline_scales_to_the_busiest_period():
    from loopwind.cli.analytics import sparkline

    assert sparkline([0, 1, 4, 8]) == " ▁▄█"
    assert sparkline([0, 0]) == "  " and sparkline([]) == ""
    assert sparkline([1, 1000]) == "▁█"  # a quiet period is still visible next to a busy one
