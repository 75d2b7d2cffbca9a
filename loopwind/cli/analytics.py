"""``loopwind analytics``: the account's API traffic (``GET /api/analytics``) as totals, a sparkline
and a table, or as CSV; ``loopwind analytics errors``: its recent error answers with request ids."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import cli, json_option, org_option, out
from .config import acting_account, make_client

INTERVALS = ["minute", "hour", "day"]
GROUPINGS = ["route", "template", "key", "status", "format", "cache"]
SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One character per period, its height relative to the busiest; a blank where nothing happened."""
    peak = max(values, default=0)
    if not peak:
        return " " * len(values)
    return "".join(
        " " if not v else SPARKS[min(len(SPARKS) - 1, (v * len(SPARKS) - 1) // peak)] for v in values
    )


def _ms(value) -> str:
    return "–" if value is None else f"{value:g} ms"


def _when(moment: str) -> str:
    return str(moment)[:16].replace("T", " ")


def _summary(body: dict, account: str) -> str:
    totals = body["totals"]
    rate = f" ({100 * totals['errors'] / totals['requests']:.1f}%)" if totals["requests"] else ""
    requests = [
        sum(column)
        for column in zip(*([p["requests"] for p in s["points"]] for s in body["series"]), strict=True)
    ]
    return "\n".join([
        f"{account + ': ' if account else ''}per {body['interval']}, {_when(body['from'])} to {_when(body['to'])} UTC",
        f"  requests {sparkline(requests)}",
        f"  Requests {totals['requests']:,} · errors {totals['errors']:,}{rate} · renders {totals['renders']:,} · "
        f"p50 {_ms(totals['p50Ms'])} · p95 {_ms(totals['p95Ms'])}",
    ])  # fmt: skip


@cli.group(invoke_without_command=True)
@click.option("--interval", type=click.Choice(INTERVALS), default="day", show_default=True,
              help="Period of each point (Free and Pro: day).")  # fmt: skip
@click.option(
    "--group-by", type=click.Choice(GROUPINGS), help="One series per group (Free and Pro: route, status)."
)
@click.option(
    "--from",
    "start",
    metavar="WHEN",
    help="ISO 8601 date or date-time (default: an hour, a day or a week back, by --interval).",
)
@click.option("--to", "end", metavar="WHEN", help="ISO 8601, exclusive (default: now).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the series as CSV (one row per group and period).")
@click.option(
    "--out", "out_path", type=click.Path(dir_okay=False), help="Write the CSV to this file (implies --csv)."
)
@org_option
@json_option
@click.pass_context
def analytics(ctx, interval: str, group_by: str | None, start: str | None, end: str | None, as_csv: bool,
              out_path: str | None):  # fmt: skip
    """Your API traffic: requests, errors, renders and p50/p95 latency over time (or an organization's
    with --org). `loopwind analytics errors` lists the recent errors with their request ids."""
    if ctx.invoked_subcommand:
        return
    client = make_client()
    if as_csv or out_path:
        data = client.analytics.csv(interval=interval, group_by=group_by, start=start, end=end)
        if out_path:
            Path(out_path).write_bytes(data)
            out().info(f"✓ Wrote {out_path}")
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        return
    body = client.analytics.get(interval=interval, group_by=group_by, start=start, end=end)
    if out().json:
        out().result(body)
        return
    out().result(body, _summary(body, acting_account()))
    if group_by:
        rows = [{"group": s["label"] if s["label"] not in (None, "") else "(none)", **_cells(s["totals"]),
                 "trend": sparkline([p["requests"] for p in s["points"]])} for s in body["series"]]  # fmt: skip
        columns = [(group_by.upper(), "group")]
    else:
        rows = [{"start": _when(p["start"]), **_cells(p)}
                for p in body["series"][0]["points"] if p["requests"]] if body["series"] else []  # fmt: skip
        columns = [("START (UTC)", "start")]
    columns += [("REQUESTS", "requests"), ("ERRORS", "errors"), ("RENDERS", "renders"), ("P50", "p50"),
                ("P95", "p95")] + ([("TREND", "trend")] if group_by else [])  # fmt: skip
    out().table(rows, columns, body, "No traffic in that range.")


def _cells(totals: dict) -> dict:
    return {"requests": totals["requests"], "errors": totals["errors"], "renders": totals["renders"],
            "p50": _ms(totals["p50Ms"]), "p95": _ms(totals["p95Ms"])}  # fmt: skip


@analytics.command("errors")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--before", metavar="WHEN", help="Only errors before this ISO 8601 time (the next page).")
@org_option
@json_option
def analytics_errors(limit: int, before: str | None):
    """Your most recent error answers (4xx and 5xx), newest first, with their request ids."""
    rows = make_client().analytics.errors(limit=limit, before=before)
    table = [{**row, "at": str(row["at"])[:19].replace("T", " "), "keyPrefix": row.get("keyPrefix") or ""}
             for row in rows]  # fmt: skip
    columns = [("TIME (UTC)", "at"), ("STATUS", "status"), ("CODE", "code"), ("ROUTE", "route"),
               ("KEY", "keyPrefix"), ("REQUEST ID", "requestId")]  # fmt: skip
    out().table(table, columns, rows, "No errors recorded.")
