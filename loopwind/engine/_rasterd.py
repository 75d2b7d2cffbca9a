"""Helper process that rasterizes SVG with resvg-py (see ``isolate.py``). Standalone: stdlib + resvg_py.

resvg-py holds the GIL and cannot be interrupted, so it runs here, where the parent can kill it on
timeout and where an address-space limit caps its memory. Protocol on stdin/stdout: frames of
``>II`` (header length, payload length), a JSON header, then the payload bytes.
"""

from __future__ import annotations

import json
import resource
import struct
import sys


def _read_exact(stream, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def main() -> None:
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if limit:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):  # an inherited limit we may not change: keep it
            pass
    import resvg_py

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    stdout.write(struct.pack(">II", 0, 0))  # ready (see isolate.Helper.request)
    stdout.flush()
    while True:
        try:
            hl, pl = struct.unpack(">II", _read_exact(stdin, 8))
            header = json.loads(_read_exact(stdin, hl))
            svg = _read_exact(stdin, pl).decode("utf-8")
        except EOFError:
            return
        try:
            out = bytes(resvg_py.svg_to_bytes(svg_string=svg, **header))
            reply, payload = {"ok": True}, out
        except MemoryError:
            reply, payload = {"ok": False, "error": "out of memory", "code": "render_memory"}, b""
        except Exception as exc:  # every resvg failure goes back as a message
            reply, payload = {"ok": False, "error": str(exc)[:500], "code": "render_failed"}, b""
        h = json.dumps(reply).encode()
        stdout.write(struct.pack(">II", len(h), len(payload)) + h + payload)
        stdout.flush()


if __name__ == "__main__":
    main()
