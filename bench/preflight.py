"""Preflight vs render (issue 18: preflight <= 3x a render of the same props).

    .venv/bin/python bench/preflight.py [rounds]

For each official image template: median time of ``render(png)`` and of ``preflight.check`` with the same props
(its examples), and of ``preflight.lint`` (every string prop at its maxLength too); prints the ratios and the
load average (the machine is shared: compare ratios, not seconds).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script, like the other benches

from loopwind.engine import example_props, load_bundle, preflight, render  # noqa: E402

TEMPLATES = ROOT / "loopwind" / "templates"


def _median(fn, rounds: int) -> float:
    fn()  # warm: fonts, compiled template, jsx helper
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(rounds: int = 7) -> None:
    print(f"load average {os.getloadavg()}; {rounds} rounds, median")
    print(f"{'template':22} {'render ms':>10} {'check ms':>9} {'ratio':>6} {'lint ms':>8} {'ratio':>6}")
    check_ratios, lint_ratios = [], []
    for folder in sorted(p for p in TEMPLATES.iterdir() if p.is_dir()):
        bundle = load_bundle(folder)
        if bundle.type != "image":
            continue
        props = {k: v for k, v in example_props(bundle).items() if not isinstance(v, bytes)}
        r = _median(lambda b=bundle, p=props: render(b, p), rounds)
        c = _median(lambda b=bundle, p=props: preflight.check(b, p), rounds)
        lint = _median(lambda b=bundle: preflight.lint(b), rounds)
        check_ratios.append(c / r)
        lint_ratios.append(lint / r)
        print(
            f"{folder.name:22} {r * 1000:10.1f} {c * 1000:9.1f} {c / r:6.2f} {lint * 1000:8.1f} {lint / r:6.2f}"
        )
    print(
        f"median ratio: check/render {statistics.median(check_ratios):.2f}, "
        f"lint/render {statistics.median(lint_ratios):.2f} (max {max(check_ratios):.2f} / {max(lint_ratios):.2f}); "
        f"load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
