"""One interface over every codec in the RD benchmark: ours, the LSTM baselines, x264/x265/SVT-AV1, a frame codec.

    c.name, c.family, c.points          # quality settings, lowest rate first
    r = c.run(seqs, point)              # seqs uint8 (N, T, H, W, C), C = 3 RGB or 1 grey
    r.bytes_real, r.bits_estimate, r.recon, r.encode_s, r.decode_s, r.extra

`bytes_real` is what the RD curves use, summed over the N sequences:
  - our models (DSAE, LSTM-f, LSTM-c): one real .bin holding all N sequences back to back (each T-frame
    segment is an independent sequence with its own f, a fresh prior and its own ANS stream), so the
    file header is paid once. `extra` also holds each sequence coded as its own .bin (`file_bytes`,
    header included), the segment payloads alone (`payload_bytes`), and the model's estimate is
    `bits_estimate` (eval forward, hard rounding: bits_f + bits_z).
  - classical codecs: each sequence is its own stream; packet bytes + extradata (codec/classic.py).
  - frame codec: compressai's y and z strings of every frame.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from bitstream import read_header_and_sizes
from codec import classic, tiling
from codec.api import decode_bytes, encode_frames
from codec.models import get_model

from . import framecodec


@dataclass
class Result:
    bytes_real: int                 # bytes the RD curve uses, all N sequences together
    bits_estimate: float | None     # the model's own estimate of the same, bits (None for classical codecs)
    recon: np.ndarray               # uint8 (N, T, H, W, C), like the input
    encode_s: float                 # wall time, all N sequences
    decode_s: float
    extra: dict = field(default_factory=dict)   # other byte counts and checks (JSON-able)


class Codec:
    """Base: a named contender with quality settings `points` and `run(seqs, point) -> Result`."""
    name: str = ""
    family: str = ""                # dsae | lstm-f | lstm-c | classical | frame-neural
    points: list = []
    rate_note: str = ""

    def run(self, seqs: np.ndarray, point) -> Result:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"name": self.name, "family": self.family, "rate_note": self.rate_note}


def _rgb(x: np.ndarray) -> np.ndarray:
    return np.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


class ModelCodec(Codec):
    """A shipped dsae-codec model (DSAE, LSTM-f or LSTM-c) through codec.api, real .bin streams."""

    def __init__(self, model: str, points: list[int] | None = None, device: str = "cpu", per_file: int = -1):
        self.model = get_model(model, device=device)
        cfg = self.model.cfg
        self.name, self.family, self.device = cfg.name, cfg.kind, device
        self.points = list(range(cfg.n_quality)) if points is None else list(points)
        self.per_file = per_file    # sequences also coded as their own .bin: -1 all, 0 none, k the first k
        self.rate_note = ("one .bin holding all N sequences (header paid once); per-sequence files, "
                          "payloads and the model estimate in extra")

    def describe(self) -> dict:
        cfg = self.model.cfg
        return {**super().describe(), "model": cfg.name, "q": cfg.q, "sha256": self.model.sha256[:16],
                "device": self.device, "tile": [cfg.T, cfg.height, cfg.width, cfg.channels]}

    def _code(self, clip: np.ndarray, q: int) -> tuple[bytes, np.ndarray, float, float]:
        _sync(self.device)
        t0 = time.perf_counter()
        data = encode_frames(_rgb(clip), Fraction(25), model=self.model, quality=q, device=self.device)
        _sync(self.device)
        t1 = time.perf_counter()
        frames = decode_bytes(data, device=self.device, model=self.model).frames
        _sync(self.device)
        t2 = time.perf_counter()
        if clip.shape[-1] == 1:
            if not (np.array_equal(frames[..., 0], frames[..., 1]) and np.array_equal(frames[..., 0], frames[..., 2])):
                raise RuntimeError("grey model returned non-grey frames")
            frames = frames[..., :1]
        return data, frames, t1 - t0, t2 - t1

    @torch.no_grad()
    def estimate(self, seqs: np.ndarray, q: int) -> float:
        """bits_f + bits_z of the eval forward (hard rounding, snapped prior means) over the codec's tiles."""
        m, cfg = self.model.model, self.model.cfg
        total = 0.0
        for s in seqs:
            lay = tiling.Layout(s.shape[0], s.shape[1], s.shape[2], cfg.height, cfg.width, cfg.T)
            src = tiling.to_channels(_rgb(s), cfg.channels)
            for a, b in lay.batches(64):
                x = np.stack(tiling.split(src, lay, range(a, b)))                  # (B, T, h, w, C)
                x = torch.from_numpy(x).to(self.device).permute(0, 1, 4, 2, 3).float() / 255.0  # (B, T, C, h, w)
                out = m(x, torch.full((b - a,), q, dtype=torch.long, device=self.device), noise=False)
                total += float((out.bits_f + out.bits_z).sum())
        return total

    def run(self, seqs: np.ndarray, q: int) -> Result:
        N, T, H, W, C = seqs.shape
        self.model.to(self.device)  # the loaded model is shared (cached) between contenders
        one_stream = N == 1 or T % self.model.cfg.T == 0   # segments align with sequences
        extra: dict = {"rd_bytes": "stream" if one_stream else "files"}
        recon, nbytes, enc_s, dec_s = None, 0, 0.0, 0.0
        if one_stream:
            data, frames, enc_s, dec_s = self._code(seqs.reshape(N * T, H, W, C), q)
            recon, nbytes = frames.reshape(seqs.shape), len(data)
            _, sizes = read_header_and_sizes(data)
            payload = sum(sizes)
            extra.update(stream_bytes=nbytes, payload_bytes=payload, framing_bytes=8 * len(sizes),
                         header_bytes=nbytes - payload - 8 * len(sizes), n_segments=len(sizes))
        k = 0 if N == 1 else N if self.per_file < 0 or not one_stream else min(self.per_file, N)
        if k:
            files = [self._code(s, q) for s in seqs[:k]]
            rec_k = np.stack([f[1] for f in files])
            extra.update(per_file_n=k, file_bytes=sum(len(f[0]) for f in files),
                         file_payload_bytes=sum(sum(read_header_and_sizes(f[0])[1]) for f in files),
                         file_encode_s=sum(f[2] for f in files), file_decode_s=sum(f[3] for f in files))
            if recon is None:
                recon, nbytes, enc_s, dec_s = rec_k, extra["file_bytes"], extra["file_encode_s"], \
                    extra["file_decode_s"]
            else:   # the same sequences coded alone vs inside the stream (batching may differ)
                extra["file_recon_differs"] = int(np.count_nonzero(rec_k != recon[:k]))
        return Result(nbytes, self.estimate(seqs, q), recon, enc_s, dec_s, extra)


class ClassicCodec(Codec):
    """x264 / x265 / SVT-AV1 over a CRF sweep; each sequence its own stream (codec/classic.py)."""

    def __init__(self, codec: str, pix_fmt: str, crfs: list[int], preset: str):
        self.codec, self.pix_fmt, self.preset = codec, pix_fmt, preset
        self.name = f"{codec}-{pix_fmt[3:]}"
        self.family = "classical"
        self.points = sorted(crfs, reverse=True)   # lowest rate first
        self.rate_note = "packet bytes + extradata per sequence stream (SEI / AV1 TDs removed, x265 info=0)"

    def describe(self) -> dict:
        return {**super().describe(), "codec": classic.CODECS[self.codec][0], "pix_fmt": self.pix_fmt,
                "preset": self.preset}

    def run(self, seqs: np.ndarray, crf: int) -> Result:
        rs = [classic.encode_decode(s, self.codec, crf, self.pix_fmt, preset=self.preset) for s in seqs]
        return Result(sum(r.bytes for r in rs), None, np.stack([r.frames for r in rs]),
                      sum(r.encode_s for r in rs), sum(r.decode_s for r in rs))


class FrameCodec(Codec):
    """The frame-by-frame bmshj2018 hyperprior (benchmarks/framecodec.py); one weight file per lambda."""

    def __init__(self, paths: list[str | Path], device: str = "cpu", name: str = "bmshj2018-hyperprior"):
        models = [framecodec.load(p, device) for p in paths]
        order = sorted(range(len(models)), key=lambda i: models[i][1].lmbda)
        self.models = {models[i][1].lmbda: models[i][0] for i in order}
        self.paths = {models[i][1].lmbda: str(paths[i]) for i in order}
        self.train_set = models[0][1].dataset if models else None
        self.name, self.family, self.device = name, "frame-neural", device
        self.points = list(self.models)
        self.rate_note = "compressai rANS y + z strings of every frame (frame size implicit)"

    def describe(self) -> dict:
        return {**super().describe(), "weights": self.paths, "trained_on": self.train_set, "device": self.device}

    def run(self, seqs: np.ndarray, lmbda: float) -> Result:
        r = framecodec.evaluate(self.models[lmbda], seqs, self.device)
        return Result(r["bytes"], r["bits_estimate"], r["recon"], r["encode_s"], r["decode_s"])


def frame_codec_weights(dataset: str, root: str | Path = Path(__file__).parent / "weights") -> list[Path]:
    """Shipped frame-codec weight files trained on `dataset` (benchmarks/weights/framecodec-<dataset>-*)."""
    return sorted(Path(root).glob(f"framecodec-{dataset}-*.safetensors"))
