"""Benchmark of loopwind.engine, measured side by side in one run (the machine is noisy: compare ratios).

    python bench/engine.py [--runs 50] [--no-peer] [--no-video] [--markdown bench/engine.md]

Prints:
- OG card (1200x630) to PNG: median in-process after warm-up; the Satori + @resvg/resvg-js peer on the
  same card under Node when node/npm are present (npm install into a temporary folder), and the ratio.
- The same card as a jsx component (og-card-jsx) against the html one, paired run by run, and Satori fed
  that very component (its transpiled modules) against loopwind's jsx engine.
- The svg engine's rasterizer choice: the quote card through resvg-py, CairoSVG and Takumi-as-image.
- 100 frames of the promo example at 1280x720 to MP4: wall time (median of 3), html and jsx.
- Peak memory (RSS of the Python process and of ffmpeg) while rendering a 1080p 10-second video.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from loopwind.engine import load_bundle, render, render_video  # noqa: E402
from loopwind.engine.fonts import default_font_files  # noqa: E402

TEMPLATES = ROOT / "loopwind" / "templates"
OG_PROPS = {
    "title": "Render images and videos from templates",
    "subtitle": "Sandboxed Jinja, Takumi, resvg and ffmpeg",
}
PROMO_PROPS = {"headline": "Launch day 🚀"}


def median_ms(fn, runs: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def paired_median_ms(fns, runs: int, warmup: int = 5) -> list[float]:
    """Medians of several functions measured in turn, run by run, so machine noise hits them alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            fn()
            times[i].append((time.perf_counter() - t) * 1000)
    return [statistics.median(t) for t in times]


def variant(template: str, **manifest_changes) -> dict[str, bytes]:
    b = load_bundle(TEMPLATES / template)
    files = dict(b.files)
    manifest = json.loads(files["loopwind.json"])
    for key, value in manifest_changes.items():
        manifest[key] = value
    files["loopwind.json"] = json.dumps(manifest).encode()
    return files


def og_cards(runs: int) -> tuple[float, float]:
    """The html og-card and the same design as a jsx component, measured in turn."""
    og, og_jsx = load_bundle(TEMPLATES / "og-card"), load_bundle(TEMPLATES / "og-card-jsx")
    assert render(og, OG_PROPS) == render(og_jsx, OG_PROPS)  # the same card, byte for byte
    html_ms, jsx_ms = paired_median_ms([lambda: render(og, OG_PROPS), lambda: render(og_jsx, OG_PROPS)], runs)
    return html_ms, jsx_ms


def og_jsx_font_size() -> int:
    """The headline size loopwind's fitText picks for OG_PROPS (the Satori peer cannot measure it)."""
    from loopwind.engine.pipeline import Job

    job = Job(load_bundle(TEMPLATES / "og-card-jsx"), OG_PROPS)
    return job.fitter.fit_text(OG_PROPS["title"], 1040, lines=3, max=84, min=44, weight=700)


def satori_peers(runs: int) -> tuple[dict[str, float] | None, str]:
    """Satori + resvg-js on the og card built with h() (satori_peer.mjs) and on og-card-jsx's own
    component (satori_jsx_peer.mjs)."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None, "node/npm not found"
    fonts = {Path(f.path).name: f.path for f in default_font_files()}
    if "NotoSans-Regular.ttf" not in fonts or "NotoSans-Bold.ttf" not in fonts:
        return None, "Noto Sans fonts not found"
    regular, bold = fonts["NotoSans-Regular.ttf"], fonts["NotoSans-Bold.ttf"]
    with tempfile.TemporaryDirectory(prefix="loopwind-satori-") as tmp:
        install = subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "satori", "@resvg/resvg-js"],
            cwd=tmp, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if install.returncode != 0:
            return None, "npm install failed: " + install.stderr.strip()[-300:]
        for script in ("satori_peer.mjs", "satori_jsx_peer.mjs"):
            shutil.copy(Path(__file__).with_name(script), tmp)
        compiled = load_bundle(TEMPLATES / "og-card-jsx")._cache["jsx"]
        (Path(tmp) / "modules.json").write_text(
            json.dumps({"modules": compiled.modules, "entry": compiled.entry})
        )
        props = {"site": "loopwind.dev", "accent": "#f59e0b", "logo": None, **OG_PROPS}
        commands = {
            "h()": ["node", "satori_peer.mjs", regular, bold, OG_PROPS["title"], OG_PROPS["subtitle"], str(runs)],
            "jsx": ["node", "satori_jsx_peer.mjs", regular, bold, "modules.json", json.dumps(props),
                    str(og_jsx_font_size()), str(runs)],
        }  # fmt: skip
        medians = {}
        for name, command in commands.items():
            out = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                return None, f"node ({name}) failed: " + out.stderr.strip()[-300:]
            medians[name] = json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]
        versions = subprocess.run(
            ["node", "-e", "console.log(require('satori/package.json').version+' / '+require('@resvg/resvg-js/package.json').version)"],
            cwd=tmp, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        return medians, f"satori / resvg-js {versions}, node {node}"


def svg_rasterizers(runs: int) -> dict[str, float]:
    """The quote card's SVG through each candidate (the svg engine uses resvg-py)."""
    import base64

    import cairosvg

    from loopwind.engine.pipeline import Job
    from loopwind.engine.svg_engine import font_files, rasterize, svg_markup

    b = load_bundle(TEMPLATES / "quote-card")
    job = Job(b, {"quote": "Hello 🚀 мир مرحبا 你好. Simplicity is prerequisite for reliability."})
    markup = svg_markup(job)
    font_files(b)
    uri = "data:image/svg+xml;base64," + base64.b64encode(markup.encode()).decode()
    html = f'<img src="{uri}" style="width:1080px;height:1080px" />'
    return {
        "resvg-py (chosen: all scripts + color emoji)": median_ms(lambda: rasterize(job, markup), runs),
        "CairoSVG (tofu for CJK/Arabic/emoji)": median_ms(
            lambda: cairosvg.svg2png(bytestring=markup.encode()), runs
        ),
        "Takumi SVG-as-image (drops color emoji)": median_ms(
            lambda: job.renderer.render_html(html, width=1080, height=1080), runs
        ),
        "full render() of the quote card": median_ms(lambda: render(b, job.props), runs),
    }


def promo_100_frames() -> tuple[float, float]:
    """Wall time of 100 frames at 1280x720 to MP4, the html promo and promo-video-jsx, in turn."""
    html = load_bundle(variant("promo-video", video={"fps": 30, "duration": 100 / 30}))
    jsx = load_bundle(variant("promo-video-jsx", video={"fps": 30, "duration": 100 / 30}))
    assert html.total_frames == jsx.total_frames == 100
    walls: list[list[float]] = [[], []]
    for _ in range(3):
        for i, bundle in enumerate((html, jsx)):
            t = time.perf_counter()
            render_video(bundle, PROMO_PROPS)
            walls[i].append(time.perf_counter() - t)
    return statistics.median(walls[0]), statistics.median(walls[1])


def peak_memory_1080p() -> dict[str, float]:
    """Runs in a child process so the numbers are that render's alone."""
    code = (
        "import json, resource, sys, time; sys.path.insert(0, sys.argv[1]);"
        "from bench.engine import variant, PROMO_PROPS; from loopwind.engine import render_video;"
        "files = variant('promo-video', size={'width': 1920, 'height': 1080}, video={'fps': 30, 'duration': 10});"
        "t = time.perf_counter(); render_video(files, PROMO_PROPS); wall = time.perf_counter() - t;"
        "s = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024;"
        "c = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
        "print(json.dumps({'python_mb': s, 'ffmpeg_mb': c, 'wall_s': wall}))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-video", action="store_true")
    ap.add_argument("--markdown", help="also write the figures as a markdown table to this file")
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []

    def row(what: str, value: str, target: str = "") -> None:
        rows.append((what, value, target))
        print(f"{what:<58} {value:>14}  {target}", flush=True)

    print(
        f"# loopwind.engine benchmark · {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    )
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ours, ours_jsx = og_cards(args.runs)
    row("OG card 1200x630 PNG, median (loopwind.engine)", f"{ours:.1f} ms", "target <= 15 ms")
    row("OG card as jsx (og-card-jsx), median, same run", f"{ours_jsx:.1f} ms")
    row("ratio jsx / html", f"{ours_jsx / ours:.2f}x", "target <= 1.15x")
    if not args.no_peer:
        peers, note = satori_peers(args.runs)
        if peers is None:
            row("OG card, Satori + resvg-js peer", "skipped", note)
        else:
            row(f"OG card 1200x630 PNG, median ({note})", f"{peers['h()']:.1f} ms")
            row("ratio peer / loopwind.engine", f"{peers['h()'] / ours:.1f}x faster")
            row("OG card, Satori + resvg-js on og-card-jsx's component", f"{peers['jsx']:.1f} ms")
            row(
                "ratio peer (same JSX) / loopwind jsx",
                f"{peers['jsx'] / ours_jsx:.1f}x faster",
                "target >= 4x",
            )
    for name, ms in svg_rasterizers(max(10, args.runs // 2)).items():
        row(f"quote card 1080x1080 via {name}", f"{ms:.1f} ms")
    if not args.no_video:
        wall, wall_jsx = promo_100_frames()
        row(
            "promo 100 frames 1280x720 -> MP4, wall (median of 3)",
            f"{wall:.2f} s",
            "target <= 3 s (spec: 12.5 s)",
        )
        row("promo-video-jsx 100 frames 1280x720 -> MP4, wall (median of 3)", f"{wall_jsx:.2f} s")
        row("ratio jsx / html video", f"{wall_jsx / wall:.2f}x", "target <= 1.2x")
        mem = peak_memory_1080p()
        row("1080p 10 s video (300 frames): peak RSS python", f"{mem['python_mb']:.0f} MB", "target < 500 MB")
        row("1080p 10 s video: peak RSS ffmpeg", f"{mem['ffmpeg_mb']:.0f} MB")
        row("1080p 10 s video: wall", f"{mem['wall_s']:.1f} s")
    if args.markdown:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        lines = [
            f"Load average at the end of the run: {load}",
            "",
            "| measurement | median | target |",
            "|---|---:|---|",
        ] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
        Path(args.markdown).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
