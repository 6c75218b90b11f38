"""The library API: frames <-> bytes and files <-> files.

    from codec import encode_to_file, decode_from_file, encode_frames, decode_bytes
    encode_to_file("clip.mp4", "clip.bin", model="dsae-sprites", quality=3)
    decode_from_file("clip.bin", "out.mp4")

In memory: `encode_frames(frames uint8 (N, H, W, 3), fps) -> bytes` and `decode_bytes(bytes) -> Video`.
Each (segment, tile) sequence is one bitstream segment with its own ANS stream. Sequences are pushed through
the model in fixed batches whose composition depends only on the header (`Layout.batches`), so the
encoder and the decoder run the prior on identical batches.
"""
from __future__ import annotations

import io
import os
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from bitstream import CODER_NAME, Header, pack, unpack
from bitstream.errors import HeaderError, LimitError
from dsae.coding import code_sequences

from . import tiling
from .channel import DecodeChannel, EncodeChannel
from .errors import DeviceError, MediaError, ModelError, OutputError
from .media import Video, read_video, write_png_frames, write_video
from .models import DEFAULT_MODEL, get_model
from .weights import LoadedModel, atomic_write

MAX_BATCH = 64  # sequences per model batch and per segment (written in the header as seqs_per_segment)
MAX_DECODED_BYTES = 8 << 30  # decoded RGB bytes a stream may ask for (all frames are held in memory)


def resolve_device(device: str) -> str:
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("--device cuda requested but CUDA is not available on this machine")
        return device
    if device != "cpu":
        raise DeviceError(f"unknown device {device!r} (use cpu or cuda)")
    return device


def _to_tensor(seqs: list[np.ndarray], device) -> torch.Tensor:
    x = torch.from_numpy(np.stack(seqs)).to(device)  # (B, T, H, W, C) uint8
    return x.permute(0, 1, 4, 2, 3).float() / 255.0   # (B, T, C, H, W)


def _to_uint8(x_hat: torch.Tensor) -> np.ndarray:
    x = (x_hat.clamp(0, 1) * 255).round().byte()       # (B, T, C, H, W)
    return x.permute(0, 1, 3, 4, 2).cpu().numpy()      # (B, T, H, W, C)


def encode_frames(frames: np.ndarray, fps: Fraction = Fraction(25), model: str | LoadedModel = DEFAULT_MODEL,
                  quality: int | None = None, device: str = "cpu", fit: bool = False,
                  progress: Callable[[int], None] | None = None, stats: dict | None = None) -> bytes:
    """uint8 RGB frames (N, H, W, 3) -> a complete .bin stream. quality defaults to the model's best."""
    m = model if isinstance(model, LoadedModel) else get_model(model, device=resolve_device(device))
    device = resolve_device(device)
    m.to(device)
    cfg = m.cfg
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise MediaError(f"frames must be uint8 (N, H, W, 3), got {frames.dtype} {frames.shape}")
    n, h, w, _ = frames.shape
    if n < 1 or h < 1 or w < 1:
        raise MediaError(f"empty video ({n} frames of {w}x{h})")
    quality = cfg.n_quality - 1 if quality is None else int(quality)
    if not 0 <= quality < cfg.n_quality:
        raise MediaError(f"quality must be 0..{cfg.n_quality - 1} for {cfg.name}, got {quality}")
    lay = tiling.Layout(n, h, w, cfg.height, cfg.width, cfg.T, fit)
    src = tiling.to_channels(frames, cfg.channels)
    payloads: list[bytes] = []
    recon: list[np.ndarray] = []
    clamped = 0
    for a, b in lay.batches(MAX_BATCH):
        seqs = tiling.split(src, lay, range(a, b))
        x = _to_tensor(seqs, device)
        ch = EncodeChannel(m.cdf, segment=len(payloads))
        coded = code_sequences(m.model, ch, m.coding, quality, b - a, x.shape[1], x=x, device=device)
        payloads.append(ch.finish())
        clamped += ch.n_clamped
        recon += list(_to_uint8(coded.x_hat))
        if progress:
            progress(b - a)
    header = Header(model=cfg.name, weights_sha256=m.sha256[:16], media="video", width=w, height=h,
                    tile_width=cfg.width, tile_height=cfg.height, tiles_x=lay.tiles_x, tiles_y=lay.tiles_y,
                    fit=fit, fps_num=fps.numerator, fps_den=fps.denominator, sample_rate=0, n_frames=n,
                    n_samples=0, segment_len=cfg.T, quality=quality,
                    step=float(m.coding.steps_z[quality].mean()), coder=CODER_NAME, n_segments=len(payloads),
                    seqs_per_segment=MAX_BATCH, extra={"channels": cfg.channels})
    if stats is not None:
        stats["reconstruction"] = tiling.from_channels(tiling.assemble(recon, lay))
        stats["clamped"] = clamped
    return pack(header, payloads)


def decode_bytes(data: bytes, device: str = "cpu", progress: Callable[[int], None] | None = None,
                 model: LoadedModel | None = None) -> Video:
    """A .bin stream -> Video (frames uint8 (N, H, W, 3), fps)."""
    header, payloads = unpack(data)
    return decode_parsed(header, payloads, device, progress, model)


def decode_parsed(header: Header, payloads: list[bytes], device: str = "cpu",
                  progress: Callable[[int], None] | None = None, model: LoadedModel | None = None) -> Video:
    device = resolve_device(device)
    if header.media != "video":
        raise MediaError(f"this stream holds {header.media}; the video decoder cannot play it")
    if header.coder != CODER_NAME:
        raise HeaderError(f"unknown entropy coder {header.coder!r} (this decoder has {CODER_NAME})")
    m = model or get_model(header.model, expect_sha256=header.weights_sha256, device=device)
    if not m.sha256.startswith(header.weights_sha256):  # a given model must be the stream's too
        raise ModelError(f"stream needs model {header.model} with weights sha256 {header.weights_sha256}, "
                         f"but the given weights are {m.sha256[:16]}")
    m.to(device)
    cfg = m.cfg
    if (header.tile_width, header.tile_height, header.segment_len) != (cfg.width, cfg.height, cfg.T):
        raise ModelError(f"stream tiles {header.tile_width}x{header.tile_height}xT{header.segment_len} do not "
                         f"match model {cfg.name} ({cfg.width}x{cfg.height}xT{cfg.T})")
    if not 0 <= header.quality < cfg.n_quality:
        raise HeaderError(f"quality {header.quality} outside the model's 0..{cfg.n_quality - 1}")
    lay = tiling.Layout(header.n_frames, header.height, header.width, cfg.height, cfg.width, cfg.T, header.fit)
    batches = lay.batches(header.seqs_per_segment)
    if len(batches) != len(payloads) or (lay.tiles_x, lay.tiles_y) != (header.tiles_x, header.tiles_y):
        raise HeaderError("segment count or tile grid inconsistent with the frame size")
    if header.n_frames * header.width * header.height * 3 > MAX_DECODED_BYTES:
        raise LimitError(f"stream declares {header.n_frames} frames of {header.width}x{header.height}: more "
                         f"than {MAX_DECODED_BYTES >> 30} GiB decoded; refused")
    recon: list[np.ndarray] = []
    for i, (a, b) in enumerate(batches):
        ch = DecodeChannel(payloads[i], m.cdf, segment=i)
        coded = code_sequences(m.model, ch, m.coding, header.quality, b - a, lay.length_of(a), device=device)
        ch.finish()
        recon += list(_to_uint8(coded.x_hat))
        if progress:
            progress(b - a)
    frames = tiling.from_channels(tiling.assemble(recon, lay))
    return Video(frames, Fraction(header.fps_num, header.fps_den))


# ---- files ----

def _check_output(dst: str | os.PathLike, force: bool) -> Path:
    dst = Path(dst)
    if dst.exists() and not force:
        raise OutputError(f"{dst} exists (use --force to overwrite)")
    if dst.exists() and dst.is_dir():
        raise OutputError(f"{dst} is a directory")
    if not dst.parent.is_dir():
        raise OutputError(f"output directory {dst.parent} does not exist")
    if not os.access(dst.parent, os.W_OK):
        raise OutputError(f"output directory {dst.parent} is not writable")
    return dst


def encode_to_file(src: str | os.PathLike, dst: str | os.PathLike, model: str = DEFAULT_MODEL,
                   quality: int | None = None, device: str = "cpu", fit: bool = False, force: bool = False,
                   progress: Callable[[int], None] | None = None, stats: dict | None = None) -> dict:
    """Video file -> .bin (written atomically). Returns a summary dict (bytes, frames, bpp, ...)."""
    dst = _check_output(dst, force)
    video = read_video(src)
    data = encode_frames(video.frames, video.fps, model=model, quality=quality, device=device, fit=fit,
                         progress=progress, stats=stats)
    atomic_write(dst, lambda tmp: Path(tmp).write_bytes(data))
    n, h, w, _ = video.frames.shape
    header, payloads = unpack(data)
    return {"input": str(src), "output": str(dst), "bytes": len(data), "frames": n, "width": w, "height": h,
            "fps": f"{video.fps.numerator}/{video.fps.denominator}", "model": header.model,
            "quality": header.quality, "segments": len(payloads), "bpp": 8 * len(data) / (n * h * w)}


def decode_from_file(src: str | os.PathLike, dst: str | os.PathLike | None = None, device: str = "cpu",
                     frames_dir: str | os.PathLike | None = None, force: bool = False,
                     progress: Callable[[int], None] | None = None) -> dict:
    """.bin -> a lossless video file (dst) and/or PNG frames (frames_dir), written atomically."""
    if dst is None and frames_dir is None:
        raise OutputError("give an output file or a frames directory")
    dst = _check_output(dst, force) if dst is not None else None
    data = Path(src).read_bytes()
    video = decode_bytes(data, device=device, progress=progress)
    if dst is not None:
        ext = dst.suffix
        atomic_write(dst, lambda tmp: _write_video_as(tmp, ext, video))
    if frames_dir is not None:
        write_png_frames(frames_dir, video.frames)
    n, h, w, _ = video.frames.shape
    return {"input": str(src), "output": str(dst) if dst else None, "frames": n, "width": w, "height": h,
            "fps": f"{video.fps.numerator}/{video.fps.denominator}"}


def _write_video_as(tmp: str, ext: str, video: Video) -> None:
    real = tmp + ext  # PyAV picks the muxer by extension; write beside, then move over the temp name
    try:
        write_video(real, video.frames, video.fps)
        os.replace(real, tmp)
    finally:
        if os.path.exists(real):
            os.unlink(real)


def encode(frames: np.ndarray, **kw) -> bytes:
    """Alias of encode_frames (EnCodec-style thin wrapper)."""
    return encode_frames(frames, **kw)


def decode(data: bytes, **kw) -> Video:
    return decode_bytes(data, **kw)


_ = io
