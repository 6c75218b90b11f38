"""PyAV media in/out: containers and codecs users hand us, exact frame count and rate, lossless output."""
from fractions import Fraction

import av
import numpy as np
import pytest

from codec.errors import MediaError
from codec.media import read_video, write_video


def _write(path, fmt, codec, pix_fmt, frames, fps):
    with av.open(str(path), "w", format=fmt) as c:
        s = c.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        for i, f in enumerate(frames):
            fr = av.VideoFrame.from_ndarray(f, format="rgb24")
            fr.pts = i
            for p in s.encode(fr):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


@pytest.mark.parametrize("ext,fmt,codec,pix", [
    ("mp4", "mp4", "libx264", "yuv420p"), ("mkv", "matroska", "libx265", "yuv420p"),
    ("webm", "webm", "libvpx-vp9", "yuv420p"), ("y4m", "yuv4mpegpipe", "rawvideo", "yuv420p"),
    ("avi", "avi", "mpeg4", "yuv420p"), ("ivf", "ivf", "libsvtav1", "yuv420p"), ("mov", "mov", "libx264", "yuv444p"), ("ts", "mpegts", "mpeg2video", "yuv420p")])
def test_reads_common_formats_with_exact_count_and_rate(tmp_path, ext, fmt, codec, pix):
    frames = np.random.default_rng(0).integers(0, 256, (13, 64, 64, 3), dtype=np.uint8)
    p = tmp_path / f"x.{ext}"
    try:
        _write(p, fmt, codec, pix, frames, Fraction(25))
    except av.FFmpegError as e:  # pragma: no cover - encoder missing in this FFmpeg build
        pytest.skip(f"{codec} unavailable: {e}")
    v = read_video(p)
    assert v.frames.shape == frames.shape and v.fps == Fraction(25)


@pytest.mark.parametrize("ext", ["mp4", "mkv", "avi", "mov"])
def test_written_video_is_lossless(tmp_path, ext):
    frames = np.random.default_rng(1).integers(0, 256, (5, 9, 7, 3), dtype=np.uint8)
    write_video(tmp_path / f"o.{ext}", frames, Fraction(30000, 1001))
    v = read_video(tmp_path / f"o.{ext}")
    assert np.array_equal(v.frames, frames) and v.fps == Fraction(30000, 1001)


def test_not_media_is_a_media_error(tmp_path):
    p = tmp_path / "x.mp4"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(MediaError):
        read_video(p)
    with pytest.raises(MediaError, match="extension"):
        write_video(tmp_path / "o.gif", np.zeros((1, 2, 2, 3), np.uint8), Fraction(1))
