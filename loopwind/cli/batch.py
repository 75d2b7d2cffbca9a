"""`loopwind render user/name --batch data.csv --out dir/`: one server batch, every output downloaded
into the folder. Resumable: the folder remembers its batch (.loopwind-batch.json), so running the
same command again follows that batch instead of paying for a new one, and files already there are
not downloaded again. Progress comes from the batch's event stream (polling when the stream cannot
be used)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from ..sdk._core import Call, content
from ..sdk.errors import LoopwindError
from . import output
from .app import out
from .config import make_client
from .output import Interrupted, UsageProblem
from .registry import parse_ref

STATE_FILE = ".loopwind-batch.json"
POLL_SECONDS = 1.0
PAGE = 1000
FINAL = ("completed", "cancelled")


class BatchProgress:
    """A rich progress bar of rows on a terminal; a line per 10 % otherwise."""

    def __init__(self, total: int):
        self.total = total
        self.shown = 0
        self.last = -1
        self.bar = None
        if output.stdout_is_terminal():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                console=out().err, transient=True,
            )  # fmt: skip
            self.task = self.bar.add_task("Rendering rows", total=total)
            self.bar.start()

    def update(self, finished: int) -> None:
        # fed by the event stream (rows finished on the server) and by the downloads: never backwards
        finished = self.shown = max(finished, self.shown)
        if self.bar is not None:
            self.bar.update(self.task, completed=finished)
        elif self.total and finished * 10 // self.total != self.last:
            self.last = finished * 10 // self.total
            out().info(f"{finished}/{self.total} rows ({finished * 100 // self.total}%)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _changes(lw, batch_id: str):
    """Yields the batch's progress each time its event stream says it moved on; when the stream
    cannot be used (an older server, a proxy that buffers it), yields None every POLL_SECONDS."""
    try:
        for update in lw.batch_events(batch_id):
            yield update["batch"]
    except LoopwindError:
        pass
    while True:
        time.sleep(POLL_SECONDS)
        yield None


def _wait_for_change(changes, view: BatchProgress, *, listed_at: float) -> None:
    """Returns when the rows are worth listing again: at a final event, or at progress once
    POLL_SECONDS have passed since the last listing. The bar follows every event meanwhile."""
    for update in changes:
        if update is None:
            return
        view.update(update["done"] + update["failed"] + update["cancelled"])
        if update["status"] in FINAL or time.monotonic() - listed_at >= POLL_SECONDS:
            return


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def local_name(row: dict) -> str:
    """Where a row's output goes inside the folder: the server's filename when it is a plain file name,
    else the row's number. The server makes names safe, but a client writes only inside the folder it
    was given whatever a (compromised or impostor) API answers: no separators, no '..', no dot-files."""
    given = str(row.get("filename") or "")
    if given and given == Path(given).name and "\\" not in given and not given.startswith("."):
        return given
    suffix = Path(given).suffix if Path(given).suffix[1:].isalnum() else ""
    return f"{int(row['row']):05d}{suffix}"


def _download(lw, url: str, target: Path) -> None:
    data = lw._run(Call("GET", url, parse=content, anonymous=True))
    partial = target.with_name(f".{target.name}.part")
    partial.write_bytes(data)
    os.replace(partial, target)  # a file in the folder is always whole: resuming can trust it


def render_batch_to_folder(*, template: str, csv_path: str, out_dir: str | None, fmt: str | None,
                           scale: int | None, version: str | None, on_invalid: str, resolve_slug) -> dict:  # fmt: skip
    """``resolve_slug(lw, template)`` names the template as user/name (rendering.remote_slug)."""
    source = Path(csv_path)
    if not source.is_file():
        raise UsageProblem(f"No CSV file {csv_path!r}.", code="bad_batch_file")
    lw = make_client()
    slug, ref_version = parse_ref(resolve_slug(lw, template))
    folder = Path(out_dir or slug.split("/")[1])
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"--out {folder} is a file; a batch needs a folder.", code="bad_out")
    folder.mkdir(parents=True, exist_ok=True)
    state_path = folder / STATE_FILE
    digest = _digest(source)
    fmt = fmt or "png"
    version = ref_version or version
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    resumed = state.get("template") == slug and state.get("csv") == digest and state.get("format") == fmt
    if resumed:
        batch_id = state["batchId"]
        out().info(f"Resuming batch {batch_id} into {folder}/")
    else:
        accepted = lw.render_batch(slug, csv=str(source), format=fmt, scale=scale, version=version,
                                   on_invalid=on_invalid)  # fmt: skip
        batch_id = accepted["batchId"]
        state_path.write_text(
            json.dumps({"batchId": batch_id, "template": slug, "csv": digest, "format": fmt})
        )
        for skipped in accepted.get("skippedRows") or []:
            out().info(f"skipped row {skipped['row']}: {skipped['message']}")
        out().info(f"Batch {batch_id} queued: {accepted['total']} rows")
    started = time.monotonic()
    present = downloaded = 0
    failed: list[dict] = []
    handled: set[int] = set()
    view = None
    changes = _changes(lw, batch_id)
    try:
        while True:
            listed_at = time.monotonic()
            status = lw.batch(batch_id, page=1, limit=PAGE)
            if view is None:
                view = BatchProgress(status["total"])
            for page in range(1, status["pages"] + 1):
                rows = status["rows"] if page == 1 else lw.batch(batch_id, page=page, limit=PAGE)["rows"]
                for row in rows:
                    if row["row"] in handled or row["status"] == "pending":
                        continue
                    handled.add(row["row"])
                    if row["status"] == "done" and row.get("url"):
                        target = folder / local_name(row)
                        if target.is_file():
                            present += 1
                        else:
                            _download(lw, row["url"], target)
                            downloaded += 1
                    elif row["status"] == "failed":
                        failed.append(row)
                view.update(len(handled))
            if status["status"] in FINAL and status["remaining"] == 0:
                break
            _wait_for_change(changes, view, listed_at=listed_at)
    except KeyboardInterrupt:
        raise Interrupted(
            f"Interrupted: batch {batch_id} goes on rendering on the server; run the same command again to "
            "download the rest.",
            code="interrupted",
        ) from None
    finally:
        changes.close()  # the event stream's connection
        if view is not None:
            view.close()
    for row in failed[:20]:
        error = row.get("error") or {}
        out().info(f"row {row['row']} failed: {error.get('message', 'unknown error')}")
    return {
        "batchId": batch_id, "template": slug, "format": fmt, "out": str(folder), "status": status["status"],
        "total": status["total"], "done": status["done"], "failed": status["failed"], "downloaded": downloaded,
        "alreadyThere": present, "resumed": resumed, "durationMs": round((time.monotonic() - started) * 1000),
    }  # fmt: skip


def summary(result: dict) -> str:
    line = (
        f"✓ Batch {result['batchId']} {result['status']}: {result['done']} of {result['total']} rows rendered"
    )
    if result["failed"]:
        line += f", {result['failed']} failed"
    return f"{line}\nDownloaded {result['downloaded']} (already there: {result['alreadyThere']}) into {result['out']}/"
