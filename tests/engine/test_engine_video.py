"""Video: mp4/gif/webm through one ffmpeg process, progress, cancel, odd sizes, determinism."""

from __future__ import annotations

import subprocess

import pytest
from engine_helpers import make_files

from loopwind.engine import RenderError, render_video
from loopwind.engine.video import ffmpeg_exe

TPL = (
    '<div tw="flex w-full h-full bg-black items-center justify-center">'
    '<div class="enter-slide-up/0/300 loop-spin/1000" tw="w-8 h-8 bg-red-500"></div>'
    '<div tw="absolute left-0 top-0 h-2 bg-white" style="width: {{ (progress * 100)|round(2) }}%"></div></div>'
)


def small_video(width=96, height=54, fps=10, duration=1):
    return make_files(
        {
            "type": "video",
            "size": {"width": width, "height": height},
            "video": {"fps": fps, "duration": duration},
        },
        template=TPL,
    )


def probe(data: bytes, suffix: str, tmp_path) -> str:
    path = tmp_path / f"v.{suffix}"
    path.write_bytes(data)
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "null", "-"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stderr


def test_mp4_h264_yuv420p_faststart_and_progress(tmp_path):
    seen = []
    data = render_video(small_video(), {"title": "x"}, on_progress=lambda f, t: seen.append((f, t)))
    assert seen == [(i, 10) for i in range(1, 11)]
    info = probe(data, "mp4", tmp_path)
    assert "h264" in info and "yuv420p" in info and "96x54" in info
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: plays while downloading


def test_gif_and_webm(tmp_path):
    gif = render_video(small_video(), {"title": "x"}, format="gif")
    assert gif[:6] == b"GIF89a"
    webm = render_video(small_video(), {"title": "x"}, format="webm")
    assert webm[:4] == b"\x1a\x45\xdf\xa3"
    assert "vp9" in probe(webm, "webm", tmp_path)


def test_a_long_gif_gets_a_palette_per_frame(monkeypatch):
    """One palette for the clip needs ffmpeg to hold every raw frame (a 60 s GIF of 1200×630 died at
    the render child's memory limit); past GIF_PALETTE_BUFFER_BYTES each frame has its own palette and
    ffmpeg's memory stays flat (about 65 MB here, against about 1 GB for 10 s with one palette)."""
    import io

    from PIL import Image

    from loopwind.engine import video

    sixty_seconds = 60 * 30 * 1200 * 630 * 4
    assert "new=1" in " ".join(video._encoder_args("gif", 30, False, frames_bytes=sixty_seconds))
    assert "new=1" not in " ".join(video._encoder_args("gif", 10, False, frames_bytes=96 * 54 * 4 * 10))
    monkeypatch.setattr(video, "GIF_PALETTE_BUFFER_BYTES", 0)
    gif = render_video(small_video(), {"title": "x"}, format="gif")
    with Image.open(io.BytesIO(gif)) as image:
        assert image.format == "GIF" and image.n_frames == 10 and image.size == (96, 54)


def test_odd_size_is_padded(tmp_path):
    data = render_video(small_video(width=95, height=53, fps=5), {"title": "x"})
    assert "96x54" in probe(data, "mp4", tmp_path)


def test_deterministic():
    assert render_video(small_video(fps=5), {"title": "x"}) == render_video(
        small_video(fps=5), {"title": "x"}
    )


def test_cancel_stops_the_render():
    calls = []

    def should_cancel():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(RenderError) as exc:
        render_video(small_video(), {"title": "x"}, should_cancel=should_cancel)
    assert exc.value.code == "render_cancelled"
    assert exc.value.details == {"frame": 3}


def test_output_path(tmp_path):
    target = tmp_path / "out.mp4"
    assert render_video(small_video(fps=5), {"title": "x"}, output_path=target) == target
    assert target.stat().st_size > 0


def test_image_template_and_bad_format():
    with pytest.raises(RenderError) as exc:
        render_video(make_files(), {"title": "x"})
    assert exc.value.code == "not_a_video"
    with pytest.raises(RenderError) as exc:
        render_video(small_video(), {"title": "x"}, format="avi")
    assert exc.value.code == "invalid_format"


def test_svg_engine_video(tmp_path):
    files = make_files(
        {
            "type": "video",
            "engine": "svg",
            "size": {"width": 64, "height": 48},
            "video": {"fps": 5, "duration": 1},
        },
        engine="svg",
        template='<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">'
        '<rect width="{{ 64 * progress }}" height="48" fill="red"/></svg>',
    )
    assert "h264" in probe(render_video(files, {"title": "x"}), "mp4", tmp_path)


def test_audio_is_muxed(tmp_path):
    wav = tmp_path / "a.wav"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            str(wav),
        ],
        check=True,
    )
    files = small_video(fps=5)
    import json

    manifest = json.loads(files["loopwind.json"])
    manifest["video"]["audio"] = "assets/a.wav"
    files["loopwind.json"] = json.dumps(manifest).encode()
    files["assets/a.wav"] = wav.read_bytes()
    info = probe(render_video(files, {"title": "x"}), "mp4", tmp_path)
    assert "aac" in info


def test_audio_that_is_a_playlist_opens_nothing(tmp_path):
    import json

    files = small_video(fps=5)
    manifest = json.loads(files["loopwind.json"])
    manifest["video"]["audio"] = "assets/a.mp3"
    files["loopwind.json"] = json.dumps(manifest).encode()
    files["assets/a.mp3"] = b"#EXTM3U\n#EXTINF:1,\nhttp://169.254.169.254/latest/meta-data/\n"
    with pytest.raises(RenderError) as exc:
        render_video(files, {"title": "x"})
    assert exc.value.code == "encode_failed"
