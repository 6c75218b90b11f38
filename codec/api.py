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

import os
import shutil
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import torch

from bitstream import CODER_NAME, Header, pack, unpack
from bitstream.errors import HeaderError, LimitError
from dsae.coding import code_sequences

from . import tiling
from .channel import DecodeChannel, EncodeChannel
from .errors import DeviceError, MediaError, ModelError, OutputError
from .media import Video, VideoReader, VideoWriter, write_png_frames
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


class _FrameBuffer:
    """Frames of a clip by absolute index, read from an iterator only as far as asked (bounded memory)."""

    def __init__(self, frames: Iterable[np.ndarray]) -> None:
        self.it, self.buf, self.base, self.eof = iter(frames), [], 0, False

    def ensure(self, end: int) -> int:
        """Reads until frames [.., end) are buffered or the clip ends; returns the frames available."""
        while not self.eof and self.base + len(self.buf) < end:
            try:
                self.buf.append(next(self.it))
            except StopIteration:
                self.eof = True
        return self.base + len(self.buf)

    def get(self, a: int, b: int) -> np.ndarray:
        return np.stack(self.buf[a - self.base:b - self.base])

    def drop_before(self, a: int) -> None:
        k = a - self.base
        if k > 0:
            del self.buf[:k]
            self.base = a


def _encode_stream(frames: Iterable[np.ndarray], height: int, width: int, m: LoadedModel, quality: int,
                   device: str, fit: bool, progress, recon: list | None) -> tuple[list[bytes], int, int]:
    """Codes a clip given as an iterator of RGB frames; returns (payloads, n_frames, n_clamped).

    Batches follow `Layout.batches(MAX_BATCH)` exactly, as the decoder will, but frames are read lazily:
    a batch of full-length sequences needs only its own frames, and the clip's length is only needed once
    the input ends. Memory stays bounded by one batch of frames.
    """
    cfg = m.cfg
    T, G = cfg.T, MAX_BATCH
    open_lay = tiling.Layout(1 << 30, height, width, cfg.height, cfg.width, T, fit)  # length not known yet
    tiles = open_lay.n_tiles
    buf = _FrameBuffer(frames)
    payloads: list[bytes] = []
    clamped, seq = 0, 0
    while True:
        need = ((seq + G - 1) // tiles + 1) * T
        have = buf.ensure(need)
        if have >= need:
            lay, batches = open_lay, [(seq, seq + G)]
        else:
            if have == 0:
                raise MediaError("empty video (0 frames)")
            lay = tiling.Layout(have, height, width, cfg.height, cfg.width, T, fit)
            batches = [(a, b) for a, b in lay.batches(G) if a >= seq]
        for a, b in batches:
            f0 = lay.segment_frames(a // tiles)[0]
            f1 = lay.segment_frames((b - 1) // tiles)[1]
            chunk = tiling.to_channels(buf.get(f0, f1), cfg.channels)
            x = _to_tensor(tiling.split(chunk, lay, range(a, b), offset=f0), device)
            ch = EncodeChannel(m.cdf, segment=len(payloads))
            coded = code_sequences(m.model, ch, m.coding, quality, b - a, x.shape[1], x=x, device=device)
            payloads.append(ch.finish())
            clamped += ch.n_clamped
            if recon is not None:
                recon += list(_to_uint8(coded.x_hat))
            if progress:
                progress(b - a)
            buf.drop_before(b // tiles * T)
        if lay is not open_lay:
            return payloads, have, clamped
        seq += G


def _check_quality(m: LoadedModel, quality: int | None) -> int:
    n = m.cfg.n_quality
    quality = n - 1 if quality is None else int(quality)
    if not 0 <= quality < n:
        raise MediaError(f"quality must be 0..{n - 1} for {m.cfg.name}, got {quality}")
    return quality


def _header(m: LoadedModel, width: int, height: int, n_frames: int, fps: Fraction, quality: int, fit: bool,
            n_segments: int) -> Header:
    cfg = m.cfg
    lay = tiling.Layout(n_frames, height, width, cfg.height, cfg.width, cfg.T, fit)
    return Header(model=cfg.name, weights_sha256=m.sha256[:16], media="video", width=width, height=height,
                  tile_width=cfg.width, tile_height=cfg.height, tiles_x=lay.tiles_x, tiles_y=lay.tiles_y,
                  fit=fit, fps_num=fps.numerator, fps_den=fps.denominator, sample_rate=0, n_frames=n_frames,
                  n_samples=0, segment_len=cfg.T, quality=quality,
                  step=round(float(m.coding.steps_z[quality].mean()), 6), coder=CODER_NAME,
                  n_segments=n_segments, seqs_per_segment=MAX_BATCH, extra={"channels": cfg.channels})


def _model(model: str | LoadedModel, device: str) -> LoadedModel:
    device = resolve_device(device)
    m = model if isinstance(model, LoadedModel) else get_model(model, device=device)
    return m.to(device)


def encode_frames(frames: np.ndarray, fps: Fraction = Fraction(25), model: str | LoadedModel = DEFAULT_MODEL,
                  quality: int | None = None, device: str = "cpu", fit: bool = False,
                  progress: Callable[[int], None] | None = None, stats: dict | None = None) -> bytes:
    """uint8 RGB frames (N, H, W, 3) -> a complete .bin stream. quality defaults to the model's best.
    With `stats`, also returns the encoder's own reconstruction (`stats["reconstruction"]`)."""
    m = _model(model, device)
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise MediaError(f"frames must be uint8 (N, H, W, 3), got {frames.dtype} {frames.shape}")
    n, h, w, _ = frames.shape
    if n < 1 or h < 1 or w < 1:
        raise MediaError(f"empty video ({n} frames of {w}x{h})")
    quality = _check_quality(m, quality)
    recon = [] if stats is not None else None
    payloads, n, clamped = _encode_stream(iter(frames), h, w, m, quality, resolve_device(device), fit,
                                          progress, recon)
    if stats is not None:
        lay = tiling.Layout(n, h, w, m.cfg.height, m.cfg.width, m.cfg.T, fit)
        stats["reconstruction"] = tiling.from_channels(tiling.assemble(recon, lay))
        stats["clamped"] = clamped
    return pack(_header(m, w, h, n, Fraction(fps), quality, fit, len(payloads)), payloads)


def decode_bytes(data: bytes, device: str = "cpu", progress: Callable[[int], None] | None = None,
                 model: LoadedModel | None = None) -> Video:
    """A .bin stream -> Video (frames uint8 (N, H, W, 3), fps)."""
    header, payloads = unpack(data)
    return decode_parsed(header, payloads, device, progress, model)


def decode_parsed(header: Header, payloads: list[bytes], device: str = "cpu",
                  progress: Callable[[int], None] | None = None, model: LoadedModel | None = None) -> Video:
    """Parsed stream -> Video held in memory (refused above MAX_DECODED_BYTES; files decode in a stream)."""
    m, lay, device = _prepare_decode(header, payloads, device, model)
    if header.n_frames * header.width * header.height * 3 > MAX_DECODED_BYTES:
        raise LimitError(f"stream declares {header.n_frames} frames of {header.width}x{header.height}: more "
                         f"than {MAX_DECODED_BYTES >> 30} GiB decoded in memory; decode it to a file instead")
    return Video(np.concatenate(list(_decode_chunks(header, payloads, m, lay, device, progress))),
                 Fraction(header.fps_num, header.fps_den))


def _prepare_decode(header: Header, payloads: list[bytes], device: str, model: LoadedModel | None):
    """Checks the stream against the decoder and the model; returns (model, layout, device)."""
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
    return m, lay, device


def _decode_chunks(header: Header, payloads: list[bytes], m: LoadedModel, lay: tiling.Layout, device: str,
                   progress) -> Iterator[np.ndarray]:
    """Decoded frames in order, one time segment at a time (uint8 (T_s, H, W, 3)): bounded memory."""
    done: dict[int, np.ndarray] = {}
    next_seg, n = 0, lay.n_tiles
    for i, (a, b) in enumerate(lay.batches(header.seqs_per_segment)):
        ch = DecodeChannel(payloads[i], m.cdf, segment=i)
        coded = code_sequences(m.model, ch, m.coding, header.quality, b - a, lay.length_of(a), device=device)
        ch.finish()
        done.update(zip(range(a, b), _to_uint8(coded.x_hat)))
        if progress:
            progress(b - a)
        while all(q in done for q in range(next_seg * n, (next_seg + 1) * n)) and next_seg < lay.n_time:
            tiles = [done.pop(q) for q in range(next_seg * n, (next_seg + 1) * n)]
            yield tiling.from_channels(tiling.assemble_segment(tiles, lay))
            next_seg += 1


# ---- files ----

def _check_output(dst: str | os.PathLike, force: bool) -> Path:
    dst = Path(dst)
    if dst.exists() and not force:
        raise OutputError(f"{dst} exists (use --force to overwrite)")
    if dst.exists() and dst.is_dir():
        raise OutputError(f"{dst} is a directory")
    return _check_parent(dst)


def _check_parent(path: Path) -> Path:
    """The directory an output goes into must exist and be writable."""
    if not path.parent.is_dir():
        raise OutputError(f"output directory {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"output directory {path.parent} is not writable")
    return path


def encode_to_file(src: str | os.PathLike, dst: str | os.PathLike, model: str = DEFAULT_MODEL,
                   quality: int | None = None, device: str = "cpu", fit: bool = False, force: bool = False,
                   progress: Callable[[int], None] | None = None) -> dict:
    """Video file -> .bin (written atomically), reading frames as it goes. Returns a summary dict."""
    dst = _check_output(dst, force)
    m = _model(model, device)
    quality = _check_quality(m, quality)
    reader = VideoReader(src)
    h, w = reader.height, reader.width
    if h < 1 or w < 1:
        raise MediaError(f"{src}: video stream has no frame size")
    payloads, n, _ = _encode_stream(iter(reader), h, w, m, quality, resolve_device(device), fit, progress, None)
    data = pack(_header(m, w, h, n, reader.fps, quality, fit, len(payloads)), payloads)
    atomic_write(dst, lambda tmp: Path(tmp).write_bytes(data))
    return {"input": str(src), "output": str(dst), "bytes": len(data), "frames": n, "width": w, "height": h,
            "fps": f"{reader.fps.numerator}/{reader.fps.denominator}", "model": m.cfg.name,
            "quality": quality, "segments": len(payloads), "bpp": 8 * len(data) / (n * h * w)}


def decode_from_file(src: str | os.PathLike, dst: str | os.PathLike | None = None, device: str = "cpu",
                     frames_dir: str | os.PathLike | None = None, force: bool = False,
                     progress: Callable[[int], None] | None = None) -> dict:
    """.bin -> a lossless video file (dst) and/or PNG frames (frames_dir), decoded and written one time
    segment at a time; both outputs appear complete or not at all."""
    if dst is None and frames_dir is None:
        raise OutputError("give an output file or a frames directory")
    dst = _check_output(dst, force) if dst is not None else None
    fdir = _check_frames_dir(frames_dir, force) if frames_dir is not None else None
    if dst is not None:
        VideoWriter(dst, Fraction(1))  # refuses an unsupported extension before any work
    header, payloads = unpack(Path(src).read_bytes())
    m, lay, device = _prepare_decode(header, payloads, device, None)
    fps = Fraction(header.fps_num, header.fps_den)
    stage = Path(tempfile.mkdtemp(prefix=".dsae-frames-", dir=fdir.parent)) if fdir is not None else None
    try:
        def write(tmp: str | None) -> None:
            writer = VideoWriter(tmp, fps, ext=dst.suffix) if tmp is not None else None
            k = 0
            try:
                for chunk in _decode_chunks(header, payloads, m, lay, device, progress):
                    if writer is not None:
                        writer.write(chunk)
                    if stage is not None:
                        write_png_frames(stage, chunk, start=k)
                    k += len(chunk)
            finally:
                if writer is not None:
                    writer.close()
        if dst is not None:
            atomic_write(dst, write)
        else:
            write(None)
        if stage is not None:
            if fdir.exists():
                shutil.rmtree(fdir)
            os.replace(stage, fdir)
    finally:
        if stage is not None and stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return {"input": str(src), "output": str(dst) if dst else None, "frames_dir": str(fdir) if fdir else None,
            "frames": header.n_frames, "width": header.width, "height": header.height,
            "fps": f"{fps.numerator}/{fps.denominator}"}


def _check_frames_dir(d: str | os.PathLike, force: bool) -> Path:
    d = Path(d)
    if d.exists() and (not d.is_dir() or any(d.iterdir())) and not force:
        raise OutputError(f"{d} exists and is not an empty directory (use --force to replace it)")
    return _check_parent(d)


def encode(frames: np.ndarray, **kw) -> bytes:
    """Alias of encode_frames (EnCodec-style thin wrapper)."""
    return encode_frames(frames, **kw)


def decode(data: bytes, **kw) -> Video:
    return decode_bytes(data, **kw)

