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


class VideoReader:
    """Frames of the first video stream, decoded lazily: `for rgb in reader: ...` (uint8 (H, W, 3)).

    Opening checks the container, the stream and the size; iteration raises MediaError on undecodable
    data before the first frame, a frame size change, or too many frames. A file that breaks after
    some frames ends early with a warning on stderr, as players do.
    """

    def __init__(self, path: str | os.PathLike, max_frames: int = MAX_FRAMES) -> None:
        self.path, self.max_frames, self.n_read = str(path), max_frames, 0
        if not os.path.isfile(self.path):
            raise MediaError(f"input not found: {self.path}")
        try:
            self._c = av.open(self.path)
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError, EOFError) as e:
            raise MediaError(f"cannot read {self.path}: not a video PyAV can decode ({_short(e)})") from None
        if not self._c.streams.video:
            kind = "an audio-only file" if self._c.streams.audio else "a file without a video stream"
            self._c.close()
            raise MediaError(f"{self.path} is {kind}; the video codec needs a video stream")
        self._s = self._c.streams.video[0]
        self._s.thread_type = "AUTO"
        self.fps = _fps_of(self._s)
        self.width, self.height = self._s.codec_context.width, self._s.codec_context.height
        if self.width > MAX_DIM or self.height > MAX_DIM:
            self._c.close()
            raise MediaError(f"{self.path}: {self.width}x{self.height} exceeds the {MAX_DIM}x{MAX_DIM} limit")

    def __iter__(self):
        shape = None
        try:
            for frame in self._c.decode(self._s):
                rgb = frame.to_ndarray(format="rgb24")
                if shape is None:
                    shape = rgb.shape
                    if max(shape[:2]) > MAX_DIM:
                        raise MediaError(f"{self.path}: {shape[1]}x{shape[0]} exceeds the {MAX_DIM} limit")
                elif rgb.shape != shape:
                    raise MediaError(f"{self.path}: frame size changes mid-stream ({shape[1]}x{shape[0]} to "
                                     f"{rgb.shape[1]}x{rgb.shape[0]}), not supported")
                self.n_read += 1
                if self.n_read > self.max_frames:
                    raise MediaError(f"{self.path}: more than {self.max_frames} frames")
                yield rgb
        except MediaError:
            raise
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError, EOFError) as e:
            if not self.n_read:
                raise MediaError(f"cannot read {self.path}: not a video PyAV can decode ({_short(e)})") from None
            import sys
            print(f"warning: {self.path} is damaged after frame {self.n_read}; using the frames before it",
                  file=sys.stderr)
        finally:
            self._c.close()
        if not self.n_read:
            raise MediaError(f"{self.path} has no video frames")


def read_video(path: str | os.PathLike, max_frames: int = MAX_FRAMES) -> Video:
    """All frames of the first video stream as RGB uint8 (N, H, W, 3), with its average frame rate."""
    reader = VideoReader(path, max_frames)
    frames = list(reader)
    return Video(np.stack(frames), reader.fps)


class VideoWriter:
    """Lossless video, frame chunks at a time: libx264rgb CRF 0 for .mp4/.mov, FFV1 for .mkv/.avi.

    The container is chosen by `ext` (default: the path's suffix), so a caller may write to a
    temporary name.
    """

    def __init__(self, path: str | os.PathLike, fps: Fraction, ext: str | None = None) -> None:
        ext = (ext or Path(path).suffix).lower()
        fmt = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".avi": "avi"}.get(ext)
        if fmt is None:
            raise MediaError(f"unsupported output extension {ext!r} (use .mp4, .mov, .mkv or .avi, or --frames DIR)")
        self.path, self.fmt, self.fps, self.n = str(path), fmt, Fraction(fps), 0
        self._c = None

    def write(self, frames: np.ndarray) -> None:
        """frames: uint8 (N, H, W, 3)."""
        if self._c is None:
            h, w = frames.shape[1:3]
            self._c = av.open(self.path, "w", format=self.fmt)
            if self.fmt in ("mp4", "mov"):
                self._s = self._c.add_stream("libx264rgb", rate=self.fps)
                self._s.pix_fmt = "rgb24"
                self._s.options = {"crf": "0", "preset": "veryfast"}
            else:
                self._s = self._c.add_stream("ffv1", rate=self.fps)
                self._s.pix_fmt = "bgr0"
            self._s.width, self._s.height = w, h
            self._s.time_base = 1 / self.fps
        for f in frames:
            fr = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")
            fr.pts = self.n
            self.n += 1
            for pkt in self._s.encode(fr):
                self._c.mux(pkt)

    def close(self) -> None:
        if self._c is not None:
            for pkt in self._s.encode(None):
                self._c.mux(pkt)
            self._c.close()
            self._c = None

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: Fraction, ext: str | None = None) -> None:
    """Lossless video of uint8 frames (N, H, W, 3), exact frame count and rate (see VideoWriter)."""
    with VideoWriter(path, fps, ext) as w:
        w.write(frames)


def write_png_frames(directory: str | os.PathLike, frames: np.ndarray, start: int = 0) -> list[Path]:
    """frames (N, H, W, 3) -> DIR/frame_000000.png ... (numbered from `start`)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f in enumerate(frames, start):
        p = d / f"frame_{i:06d}.png"
        av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24").save(str(p))
        paths.append(p)
    return paths
