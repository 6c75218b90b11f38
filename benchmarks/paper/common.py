"""Shared plumbing of the paper replications: models, coded latents, batching, images and reports.

Latents are always the codec's own: `coded` runs dsae.coding.code_sequences with a RecordingChannel at the
model's best quality, so f_hat and z_hat (z_1:T for the DSAE, the global z for LSTM-f/LSTM-c) are exactly the
quantised values a decoder of a real bitstream would see (DSAE §2 names; codec form after Han et al. 2019).
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from codec.models import get_model
from codec.weights import LoadedModel
from dsae.coding import Coded, RecordingChannel, code_sequences
from dsae.model import DSAE

RESULTS = Path(__file__).parent / "results"


def setup(threads: int = 1) -> None:
    torch.set_num_threads(threads)


def load_model(name: str, need_dsae: bool = False) -> LoadedModel:
    m = get_model(name)
    if need_dsae and not isinstance(m.model, DSAE):
        raise SystemExit(f"error: {name} is {m.cfg.kind}; this experiment needs a DSAE (per-frame z_t)")
    return m


def best_quality(m: LoadedModel) -> int:
    return m.cfg.n_quality - 1


def to_model(frames: np.ndarray) -> torch.Tensor:
    """uint8 (B, T, H, W, C) -> float (B, T, C, H, W) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 1, 4, 2, 3).float() / 255.0


@torch.no_grad()
def coded(m: LoadedModel, x: torch.Tensor, quality: int | None = None) -> Coded:
    """The codec's quantised latents of x (B, T, C, H, W) and its reconstruction (unclamped)."""
    q = best_quality(m) if quality is None else quality
    return code_sequences(m.model, RecordingChannel(), m.coding, q, x.shape[0], x.shape[1], x=x)


@torch.no_grad()
def decode(m: LoadedModel, f: torch.Tensor, z: torch.Tensor, quality: int | None = None) -> torch.Tensor:
    """x_hat in [0, 1] from f (B, f_dim) and z_1:T (B, T, z_dim) (DSAE) or h_1:T (baselines)."""
    q = best_quality(m) if quality is None else quality
    return m.model.decode(f, z, torch.full((f.shape[0],), q, dtype=torch.long)).clamp(0, 1)


def batches(n: int, size: int):
    for a in range(0, n, size):
        yield a, min(n, a + size)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(B, T, C, H, W) in [0, 1] -> uint8 (B, T, H, W, 3) (grey repeated to RGB)."""
    img = (x.clamp(0, 1) * 255).round().byte().permute(0, 1, 3, 4, 2).numpy()
    return np.repeat(img, 3, axis=-1) if img.shape[-1] == 1 else img


def save_png(img: np.ndarray, path: Path, scale: int = 1) -> Path:
    """uint8 (H, W, 3) -> PNG, optionally upscaled by pixel repetition."""
    from PIL import Image

    if scale > 1:
        img = img.repeat(scale, 0).repeat(scale, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cpus, torch {torch.__version__}, "
            f"{torch.get_num_threads()} thread(s)")


def model_line(m: LoadedModel) -> str:
    side = json.loads(m.path.with_suffix(".json").read_text()) if m.path.with_suffix(".json").is_file() else {}
    steps = side.get("training", {}).get("steps", "?")
    return f"`{m.cfg.name}` ({m.cfg.kind}, q {m.cfg.q}, sha256 {m.sha256[:16]}, {steps} training steps)"


def md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


class Timer:
    def __init__(self) -> None:
        self.t0 = time.time()

    def __str__(self) -> str:
        return f"{time.time() - self.t0:.0f} s"
