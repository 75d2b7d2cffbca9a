"""Issue 16, item 7: the dashboard's API analytics page (/dashboard/analytics) and its CSV downloads.
Traffic is made through the API (renders, a cache hit, a 400 and a 404 with an API key), flushed as
the web process and the worker would, and the page must show exactly those counts — for the account
it acts for only: the owner, another person, an organization's member acting for it."""

import csv
import html
import io
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import api_key_create
from analytics.collector import collector
from analytics.models import ErrorEvent
from analytics.services import analytics_flush
from billing.services import plan_set
from marketplace.views.accounts_context import SESSION_KEY
from templates_registry.services import template_publish
from tests.conftest import bearer
from tests.factories import UserFactory
from tests.templates_registry.helpers import example_files

pytestmark = pytest.mark.django_db
PAGE = "/dashboard/analytics"


def flushed():
    """What a web process and then the worker do on their own every few seconds."""
    collector.flush()
    analytics_flush()


def traffic(account, *, renders=("One", "Two"), key_name="server") -> dict:
    """Renders of the account's og-card (each title once, then the first again: a cache hit), one
    400 (a prop it does not have) and one 404 (a template it does not have), with one API key.
    Returns what was done and the error answers' request ids."""
    key, raw = api_key_create(user=account, name=key_name)
    api = bearer(APIClient(), raw)
    slug = f"{account.username}/og-card"
    titles = [*renders, renders[0]]
    for title in titles:
        assert (
            api.post("/api/render", {"template": slug, "props": {"title": title}}, format="json").status_code
            == 200
        )
    bad = api.post("/api/render", {"template": slug, "props": {"nope": 1}}, format="json")
    missing = api.post("/api/render", {"template": f"{account.username}/missing"}, format="json")
    assert (bad.status_code, missing.status_code) == (400, 404)
    return {
        "key": key,
        "slug": slug,
        "requests": len(titles) + 2,
        "errors": 2,
        "renders": len(renders),
        "request_ids": [bad["X-Request-Id"], missing["X-Request-Id"]],
    }


def with_template(account):
    template_publish(user=account, files=example_files("og-card"))
    return account


@pytest.fixture
def business(db):
    account = UserFactory()
    plan_set(user=account, code="business")
    account.refresh_from_db()
    return with_template(account)


def signed_in(person, acting_for=None) -> Client:
    client = Client()
    client.force_login(person)
    if acting_for is not None:
        session = client.session
        session[SESSION_KEY] = acting_for.username
        session.save()
    return client


def totals_shown(page: str) -> dict[str, str]:
    return dict(re.findall(r'<dd data-total="(\w+)">([^<]*)', page))


def test_the_owner_sees_their_counts_charts_tables_and_errors(business):
    done = traffic(business)
    flushed()
    response = signed_in(business).get(PAGE, {"period": "1h"})
    assert response.status_code == 200
    page = response.content.decode()
    shown = totals_shown(page)
    assert (shown["requests"], shown["errors"].strip(), shown["renders"]) == (
        str(done["requests"]), str(done["errors"]), str(done["renders"]),
    )  # fmt: skip
    rate = round(100 * done["errors"] / done["requests"], 1)
    assert f"({rate}%)" in page
    assert shown["p50"].endswith(" ms") and shown["p95"].endswith(" ms")
    # the charts: SVG with a name and a description, and the data table behind them
    for chart in ("chart-traffic", "chart-latency"):
        assert f'role="img" aria-labelledby="{chart}-title {chart}-desc" id="{chart}"' in page
    desc = re.search(r'<desc id="chart-traffic-desc">([^<]*)', page)[1]
    assert f"{done['requests']} requests and {done['errors']} errors in all" in html.unescape(desc)
    assert "<summary>Data table</summary>" in page
    # top templates and keys (Business groups by both), the key by its name and prefix
    templates = page.split('data-top="template"')[1].split("</section>")[0]
    assert done["slug"] in templates
    keys = page.split('data-top="key"')[1].split("</section>")[0]
    assert f"server ({done['key'].prefix}…)" in html.unescape(keys)
    # the error log: both errors, with the request ids the API answered with
    log = page.split('id="errors-h"')[1]
    for request_id in done["request_ids"]:
        assert request_id in log
    codes = set(ErrorEvent.objects.filter(account=business).values_list("code", flat=True))
    assert len(codes) == 2 and all(f"<code>{code}</code>" in log for code in codes)
    assert f"{done['key'].prefix}…" in html.unescape(log)
    assert 'id="upgrade-note"' not in page  # Business shows every period
    for period in ("1h", "24h", "7d", "30d", "90d"):
        assert f'href="?period={period}"' in page


def test_another_person_sees_only_their_own(business):
    traffic(business)
    stranger = with_template(UserFactory())
    theirs = traffic(stranger, renders=("Solo",), key_name="mine")
    flushed()
    page = signed_in(stranger).get(PAGE).content.decode()  # Free: the last 7 days
    shown = totals_shown(page)
    assert shown["requests"] == str(theirs["requests"]) and shown["renders"] == str(theirs["renders"])
    assert business.username not in page
    assert not set(ErrorEvent.objects.filter(account=business).values_list("request_id", flat=True)) & set(
        re.findall(r"<code>([^<]+)</code>", page)
    )
    for request_id in theirs["request_ids"]:
        assert request_id in page


def test_an_org_member_sees_the_orgs_traffic_when_acting_for_it(team):
    with_template(team.org)
    done = traffic(team.org, key_name="ci")
    flushed()
    as_org = signed_in(team.carol, acting_for=team.org).get(PAGE, {"period": "24h"}).content.decode()
    assert "API analytics · acme" in as_org
    assert totals_shown(as_org)["requests"] == str(done["requests"])
    assert f"ci ({done['key'].prefix}…)" in html.unescape(as_org)
    personal = signed_in(team.carol).get(PAGE).content.decode()
    assert totals_shown(personal)["requests"] == "0"
    assert 'id="analytics-empty"' in personal and done["slug"] not in personal
    # an outsider naming acme in the session falls back to their own account
    outsider = signed_in(team.dave, acting_for=team.org).get(PAGE).content.decode()
    assert totals_shown(outsider)["requests"] == "0" and "API analytics · acme" not in outsider


def test_anonymous_is_sent_to_sign_in():
    for path in (PAGE, "/dashboard/analytics.csv", "/dashboard/analytics/errors.csv"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login?next="), path


def test_the_free_plan_shows_its_limits_and_routes():
    free = with_template(UserFactory())
    done = traffic(free)
    flushed()
    client = signed_in(free)
    page = client.get(PAGE).content.decode()
    assert re.findall(r'href="\?period=(\w+)"', page) == ["7d"]
    note = html.unescape(re.sub(r"<[^>]+>", "", re.search(r'id="upgrade-note">(.*?)</p>', page, re.S)[1]))
    assert note == (
        "The Free plan keeps 7 days of analytics, by day. The Business plan adds last hour by minute, last 24 "
        "hours by hour, last 30 days by day, last 90 days by day, top templates and top API keys."
    )
    assert 'data-top="route"' in page and 'data-top="template"' not in page and 'data-top="key"' not in page
    assert "POST /api/render" in page.split('data-top="route"')[1]
    refused = client.get(PAGE, {"period": "1h"}).content.decode()
    assert 'id="period-refused"' in refused and 'aria-current="page">Last 7 days' in refused
    assert totals_shown(refused)["requests"] == str(done["requests"])
    # the CSV ignores a grouping the plan does not have
    rows = list(
        csv.DictReader(io.StringIO(client.get("/dashboard/analytics.csv", {"group": "key"}).content.decode()))
    )
    assert {row["group"] for row in rows} == {""} and len(rows) == 7


def test_bad_query_parameters_are_ignored(business):
    client = signed_in(business)
    for params in ({"period": "<script>"}, {"period": ""}, {"period": "1h" * 500}, {"period": ["1h", "7d"]},
                   {"group": "nope"}):  # fmt: skip
        for path in (PAGE, "/dashboard/analytics.csv"):
            response = client.get(path, params)
            assert response.status_code == 200, (path, params)
    # a NUL byte is refused by the site's request checks before the page runs: a 400, never a 500
    assert client.get(PAGE, {"period": "\x00"}).status_code == 400
    assert "<script>" not in client.get(PAGE, {"period": "<script>"}).content.decode()
    assert client.post(PAGE).status_code == 405


def test_the_csv_downloads_hold_the_counts(business):
    done = traffic(business)
    flushed()
    client = signed_in(business)
    response = client.get("/dashboard/analytics.csv", {"period": "24h"})
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="analytics-24h.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 24
    assert sum(int(row["requests"]) for row in rows) == done["requests"]
    assert sum(int(row["errors"]) for row in rows) == done["errors"]
    assert sum(int(row["renders"]) for row in rows) == done["renders"]
    by_template = list(csv.DictReader(io.StringIO(
        client.get("/dashboard/analytics.csv", {"period": "1h", "group": "template"}).content.decode()
    )))  # fmt: skip
    per_group = {}
    for row in by_template:
        per_group[row["group"]] = per_group.get(row["group"], 0) + int(row["requests"])
    assert per_group[done["slug"]] == done["requests"] - 1  # the 404 names no template of the account
    errors = list(csv.DictReader(io.StringIO(client.get("/dashboard/analytics/errors.csv").content.decode())))
    assert {row["requestId"] for row in errors} == set(done["request_ids"])


def test_the_page_reads_in_a_fixed_number_of_queries(business):
    """However many keys and templates the traffic had: no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(business)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE, {"period": "1h"}).status_code == 200
        return len(captured)

    traffic(business, renders=("One",), key_name="first")
    flushed()
    one_key = queries()
    for name in ("second", "third", "fourth"):
        traffic(business, renders=(name,), key_name=name)
    flushed()
    assert queries() == one_key
