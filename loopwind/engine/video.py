"""Video: every frame rendered at its time and streamed as raw RGBA into one ffmpeg process.

The ffmpeg binary is the one imageio-ffmpeg ships (``IMAGEIO_FFMPEG_EXE`` overrides it).
mp4 is H.264 yuv420p with +faststart; webm is VP9; gif is palette-optimised (palettegen +
paletteuse), one palette for the whole clip while its frames fit GIF_PALETTE_BUFFER_BYTES (palettegen
needs every frame before paletteuse may start, so ffmpeg holds them all), a palette per frame beyond
that. Odd sizes are padded to even for the yuv420p formats. Only one frame is held in memory at a time
in this process, and in ffmpeg past that GIF buffer. ``video.audio`` in the manifest (an mp3/wav/m4a asset) is muxed into mp4 (AAC) and webm
(Opus), cut to the video's length.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import time as _time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..formats import VIDEO_FORMATS
from . import limits as L
from .api import _coerce_bundle, check_output
from .errors import RenderError
from .pipeline import Job

JSX_BATCH = 8  # video frames per call into the V8 helper
# Even size for 4:2:0, and BT.709 (what browsers assume for HD) tagged so players agree on colors.
_EVEN = "pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
_BT709 = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# A clip-wide GIF palette makes smaller, steadier GIFs, but ffmpeg keeps every raw frame until it has
# seen the last (about 1 GB for 10 s of 1200×630 at 30 fps: a 60 s GIF died at the render child's memory
# limit). Past this many bytes of frames each frame gets its own palette: flat memory (about 65 MB),
# about twice the encoding time and a file about a third larger.
GIF_PALETTE_BUFFER_BYTES = 512 * 1024 * 1024
_GIF_ONE_PALETTE = "split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle"
_GIF_PALETTE_PER_FRAME = "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1:dither=bayer:bayer_scale=5:diff_mode=rectangle"


def _encoder_args(fmt: str, fps: int, has_audio: bool, frames_bytes: int = 0) -> list[str]:
    if fmt == "mp4":
        args = ["-vf", _EVEN, "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                "-x264-params", "rc-lookahead=10:sync-lookahead=0:colorprim=bt709:transfer=bt709:colormatrix=bt709", "-movflags", "+faststart", *_BT709]  # fmt: skip
        if has_audio:
            args += ["-c:a", "aac", "-b:a", "128k"]
        return args
    if fmt == "webm":
        args = ["-vf", _EVEN, "-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "34", "-deadline", "realtime",
                "-cpu-used", "8", "-row-mt", "1", "-pix_fmt", "yuv420p", *_BT709]  # fmt: skip
        if has_audio:
            args += ["-c:a", "libopus", "-b:a", "96k"]
        return args
    one_palette = frames_bytes <= GIF_PALETTE_BUFFER_BYTES
    return ["-vf", _GIF_ONE_PALETTE if one_palette else _GIF_PALETTE_PER_FRAME, "-loop", "0"]


def _frame_source(job: Job) -> Callable[[int], bytes]:
    b = job.bundle
    if b.engine == "jsx":
        from .html_engine import render_html

        def jsx_frame(i: int) -> bytes:
            # Frames are asked of V8 in batches, the next batch while Takumi draws this one's frames.
            if i % JSX_BATCH == 0:
                job.prefetch(list(range(i, i + JSX_BATCH)))
                job.prefetch(list(range(i + JSX_BATCH, i + 2 * JSX_BATCH)))
            return render_html(job, format="raw", frame=i)

        return jsx_frame
    if b.engine == "html":
        from .html_engine import render_html

        return lambda i: render_html(job, format="raw", frame=i)
    from PIL import Image

    from .svg_engine import rasterize, svg_markup

    def svg_frame(i: int) -> bytes:
        png = rasterize(job, svg_markup(job, i))
        return Image.open(io.BytesIO(png)).convert("RGBA").tobytes()

    return svg_frame


def render_video(
    bundle_or_path: Any,
    props: Mapping[str, Any] | None = None,
    *,
    format: str = "mp4",  # noqa: A002
    on_progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    images: Mapping[str, bytes] | None = None,
    output_path: str | os.PathLike | None = None,
) -> bytes | Path:
    """Render a video template to mp4, gif or webm.

    Returns the bytes, or writes ``output_path`` and returns it as a Path. ``on_progress(frame,
    totalFrames)`` is called after each frame is encoded (frame counts from 1); ``should_cancel()`` is
    polled before each frame and a true answer stops with ``RenderError(code="render_cancelled")``.
    """
    bundle = _coerce_bundle(bundle_or_path)
    fmt = check_output(bundle, format, 1, None, allowed=VIDEO_FORMATS)
    if bundle.type != "video":
        raise RenderError(
            "This template is an image template; use render().",
            code="not_a_video",
            details={"type": bundle.type},
        )
    job = Job(bundle, props, images=images)
    try:
        frame_bytes = _frame_source(job)
        total = bundle.total_frames
        w, h = bundle.width, bundle.height
        deadline = _time.monotonic() + L.VIDEO_TIME_LIMIT
        audio_path = (bundle.manifest.get("video") or {}).get("audio")
        with tempfile.TemporaryDirectory(prefix="loopwind-video-") as tmp:
            out_file = Path(tmp) / f"out.{fmt}"
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgba",
                   "-s", f"{w}x{h}", "-framerate", str(bundle.fps), "-thread_queue_size", "4", "-protocol_whitelist", "pipe",
                   "-i", "pipe:0"]  # fmt: skip
            has_audio = bool(audio_path) and fmt != "gif"
            if has_audio:
                audio_file = Path(tmp) / ("audio." + audio_path.rsplit(".", 1)[-1])
                audio_file.write_bytes(bundle.files[audio_path])
                # The demuxer is forced by extension and only local files are allowed: an ".mp3" that is
                # really a playlist must not make ffmpeg open URLs.
                demuxer = {"mp3": "mp3", "wav": "wav", "m4a": "mov"}[audio_file.suffix[1:].lower()]
                cmd += ["-protocol_whitelist", "file", "-f", demuxer, "-i", str(audio_file)]
                cmd += ["-map", "0:v", "-map", "1:a", "-t", f"{bundle.duration:.3f}"]
            cmd += _encoder_args(fmt, bundle.fps or 30, has_audio, frames_bytes=total * w * h * 4)
            cmd += [
                "-threads",
                "2",
                "-fflags",
                "+bitexact",
                "-flags",
                "+bitexact",
                "-map_metadata",
                "-1",
                "-y",
                str(out_file),
            ]
            err_file = open(Path(tmp) / "ffmpeg.log", "w+b")  # noqa: SIM115 - closed below
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err_file)  # noqa: S603
            try:
                for i in range(total):
                    if should_cancel is not None and should_cancel():
                        raise RenderError(
                            "The render was cancelled.", code="render_cancelled", details={"frame": i}
                        )
                    if _time.monotonic() > deadline:
                        raise RenderError(
                            "The video render took too long.",
                            code="render_timeout",
                            details={"limit": L.VIDEO_TIME_LIMIT},
                        )
                    data = frame_bytes(i)
                    if len(data) != w * h * 4:
                        raise RenderError(
                            "A frame came back with the wrong size.",
                            code="render_failed",
                            details={"frame": i},
                        )
                    try:
                        proc.stdin.write(data)
                    except BrokenPipeError:
                        break
                    if on_progress is not None:
                        on_progress(i + 1, total)
                try:
                    proc.stdin.close()  # flushes the last frame: ffmpeg may have exited already
                except BrokenPipeError:
                    pass  # it did; its exit code and log say why, below
                rc = proc.wait(timeout=max(5.0, deadline - _time.monotonic()))
            except BaseException:
                proc.kill()
                proc.wait()
                raise
            finally:
                err_file.seek(0)
                log = err_file.read().decode("utf-8", "replace")[-2000:]
                err_file.close()
            if rc != 0 or not out_file.exists():
                raise RenderError(
                    f"ffmpeg failed ({rc}): {log.strip()}", code="encode_failed", details={"format": fmt}
                )
            if output_path is not None:
                target = Path(output_path)
                target.write_bytes(out_file.read_bytes())
                return target
            return out_file.read_bytes()
    finally:
        job.close()  # stops a jsx frame prefetch still running
