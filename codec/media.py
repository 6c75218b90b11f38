"""Media in and out through PyAV: video files <-> uint8 RGB frames (N, H, W, 3) with a rational frame rate.

Decoded videos are written losslessly so that what one sees is the codec's own distortion: mp4/mov with
libx264rgb at CRF 0 (lossless RGB H.264; some players lack RGB H.264 support), mkv/avi with FFV1.
PNG frames are an alternative (`write_png_frames`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .errors import MediaError

MAX_DIM = 4096
MAX_FRAMES = 1 << 20


@dataclass
class Video:
    frames: np.ndarray      # (N, H, W, 3) uint8 RGB
    fps: Fraction


def _fps_of(stream) -> Fraction:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and rate > 0:
            return Fraction(rate).limit_denominator(1_000_000)
    return Fraction(25, 1)


def probe_kind(path: str | os.PathLike) -> str:
    """'video' if the file has a video stream, 'audio' if only audio; MediaError otherwise."""
    try:
        with av.open(str(path)) as c:
            if c.streams.video:
                return "video"
            if c.streams.audio:
                return "audio"
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as e:
        raise MediaError(f"cannot read {path}: not a media file PyAV can open ({_short(e)})") from None
    raise MediaError(f"{path} has no video or audio stream")


def _short(e: BaseException) -> str:
    s = str(e).strip().splitlines()
    return s[0][:160] if s else type(e).__name__


def read_video(path: str | os.PathLike, max_frames: int = MAX_FRAMES) -> Video:
    """All frames of the first video stream as RGB uint8, with its average frame rate."""
    path = str(path)
    if not os.path.isfile(path):
        raise MediaError(f"input not found: {path}")
    frames: list[np.ndarray] = []
    try:
        with av.open(path) as c:
            if not c.streams.video:
                kind = "an audio-only file" if c.streams.audio else "a file without a video stream"
                raise MediaError(f"{path} is {kind}; the video codec needs a video stream")
            stream = c.streams.video[0]
            stream.thread_type = "AUTO"
            fps = _fps_of(stream)
            w, h = stream.codec_context.width, stream.codec_context.height
            if w > MAX_DIM or h > MAX_DIM:
                raise MediaError(f"{path}: {w}x{h} exceeds the {MAX_DIM}x{MAX_DIM} limit")
            for frame in c.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
                if len(frames) > max_frames:
                    raise MediaError(f"{path}: more than {max_frames} frames")
    except MediaError:
        raise
    except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError, EOFError) as e:
        if not frames:
            raise MediaError(f"cannot read {path}: not a video PyAV can decode ({_short(e)})") from None
        # a truncated file: keep what decoded cleanly, as players do, but say so on stderr
        import sys
        print(f"warning: {path} is damaged after frame {len(frames)}; using the frames before it", file=sys.stderr)
    if not frames:
        raise MediaError(f"{path} has no video frames")
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise MediaError(f"{path}: frame size changes mid-stream ({sorted(shapes)[:2]}), not supported")
    return Video(np.stack(frames), fps)


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: Fraction) -> None:
    """Lossless video: libx264rgb CRF 0 for .mp4/.mov, FFV1 for .mkv/.avi (RGB, exact frame count)."""
    path = Path(path)
    ext = path.suffix.lower()
    fmt = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".avi": "avi"}.get(ext)
    if fmt is None:
        raise MediaError(f"unsupported output extension {ext!r} (use .mp4, .mov, .mkv or .avi, or --frames DIR)")
    n, h, w, _ = frames.shape
    with av.open(str(path), "w", format=fmt) as c:
        if fmt in ("mp4", "mov"):
            s = c.add_stream("libx264rgb", rate=fps)
            s.pix_fmt = "rgb24"
            s.options = {"crf": "0", "preset": "veryfast"}
        else:
            s = c.add_stream("ffv1", rate=fps)
            s.pix_fmt = "bgr0"
        s.width, s.height = w, h
        s.time_base = Fraction(1, 1) / fps
        for i in range(n):
            fr = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames[i]), format="rgb24")
            fr.pts = i
            for pkt in s.encode(fr):
                c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)


def write_png_frames(directory: str | os.PathLike, frames: np.ndarray) -> list[Path]:
    """frames (N, H, W, 3) -> DIR/frame_000000.png ..."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f in enumerate(frames):
        p = d / f"frame_{i:06d}.png"
        av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24").save(str(p))
        paths.append(p)
    return paths
