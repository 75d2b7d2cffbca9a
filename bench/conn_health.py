"""What Django's CONN_HEALTH_CHECKS costs, per request, on this machine (issue 14, part 5).

    DATABASE_URL=postgres://… .venv/bin/python bench/conn_health.py [--requests 3000]

Simulates request boundaries in-process (Django's request_started / request_finished signals, which
reset the per-request health check) around the work of three kinds of request, with health checks on
and off, interleaved run by run: a request that reads nothing from the database (a cache hit since
the hot-path cache), one that makes one query (a JWT-authenticated request reading its user), and one
that makes three. Prints the median per-request time of each and what the check adds.

The check is a ``SELECT 1`` before the first query of a request on a reused connection: a request that
makes no query never pays it."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loopwind_site.settings")

import django  # noqa: E402

django.setup()

from django.core import signals  # noqa: E402
from django.db import connection  # noqa: E402

from billing.models import Plan  # noqa: E402


def one_request(queries: int) -> float:
    started = time.perf_counter()
    signals.request_started.send(sender=None)
    for _ in range(queries):
        Plan.objects.filter(pk=1).first()
    signals.request_finished.send(sender=None)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    connection.settings_dict["CONN_MAX_AGE"] = 60
    one_request(1)  # connect
    print(f"load average {os.getloadavg()[0]:.2f}; {args.requests} requests per figure, interleaved")
    for queries in (0, 1, 3):
        times: dict[bool, list[float]] = {True: [], False: []}
        for n in range(args.requests * 2):
            checks = n % 2 == 0
            connection.health_check_enabled = checks  # read from settings only at connect()
            times[checks].append(one_request(queries))
        on, off = statistics.median(times[True]), statistics.median(times[False])
        print(
            f"{queries} queries: with checks {on:.3f} ms, without {off:.3f} ms, the check adds {on - off:+.3f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
