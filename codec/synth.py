"""The paper's generative abilities on coded latents (DSAE §2): content swap and sampling from the priors.

* swap: the content f of clip A with the dynamics z_1:T of clip B ("feature swapping"). Both clips go through
  the codec's own quantisation (the same code path as encoding), then the decoder renders (f_A, z_B).
* generate: f ~ p(f) (the exported integer pmf of the learned density, at the best quality) and
  z_1:T ~ prod_t p(z_t | z_<t); `fix="f"` shares one f across samples, `fix="z"` shares one z_1:T.
"""
from __future__ import annotations

import numpy as np
import torch

from dsae.coding import RecordingChannel, code_sequences
from dsae.model import DSAE

from . import tiling
from .api import MAX_BATCH
from .errors import ModelError
from .weights import LoadedModel


def _latents(m: LoadedModel, frames: np.ndarray, lay: tiling.Layout, quality: int, device):
    """Coded (f_hat, z_hat) of every sequence of a clip, in file order."""
    src = tiling.to_channels(frames, m.cfg.channels)
    fs, zs = [], []
    for a, b in lay.batches(MAX_BATCH):
        seqs = tiling.split(src, lay, range(a, b))
        x = torch.from_numpy(np.stack(seqs)).to(device).permute(0, 1, 4, 2, 3).float() / 255.0
        coded = code_sequences(m.model, RecordingChannel(), m.coding, quality, b - a, x.shape[1], x=x, device=device)
        fs += list(coded.f_hat)
        zs += list(coded.z_hat)
    return fs, zs


@torch.no_grad()
def swap(m: LoadedModel, frames_a: np.ndarray, frames_b: np.ndarray, quality: int | None = None,
         device: str = "cpu") -> np.ndarray:
    """Frames with A's content (f) and B's dynamics (z_1:T); B is resized to A's size; length is B's."""
    if not isinstance(m.model, DSAE):
        raise ModelError(f"swap needs a DSAE model with per-frame z_t; {m.cfg.name} is {m.cfg.kind}")
    cfg = m.cfg
    q = cfg.n_quality - 1 if quality is None else quality
    h, w = frames_a.shape[1:3]
    frames_b = tiling.resize(frames_b, h, w)
    lay_a = tiling.Layout(len(frames_a), h, w, cfg.height, cfg.width, cfg.T)
    lay_b = tiling.Layout(len(frames_b), h, w, cfg.height, cfg.width, cfg.T)
    f_a, _ = _latents(m, frames_a, lay_a, q, device)
    _, z_b = _latents(m, frames_b, lay_b, q, device)
    out = []
    for seq, z in enumerate(z_b):
        s, tile = divmod(seq, lay_b.n_tiles)
        f = f_a[(s % lay_a.n_time) * lay_a.n_tiles + tile]
        x_hat = m.model.decode(f[None], z[None], torch.tensor([q], device=f.device))
        out.append((x_hat[0].clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy())
    return tiling.from_channels(tiling.assemble(out, lay_b))


def sample_f(m: LoadedModel, n: int, quality: int, rng: np.random.Generator) -> torch.Tensor:
    """f ~ p(f): per channel, a draw from the exported integer pmf of (quality, channel); (n, f_dim)."""
    C = m.cfg.f_dim
    f = np.empty((n, C), np.float32)
    for c in range(C):
        t = quality * C + c
        L = int(m.cdf.lengths[t])
        p = m.cdf.freqs[t, :L].astype(np.float64)
        k = rng.choice(L, size=n, p=p / p.sum()) + int(m.cdf.offsets[t])
        f[:, c] = k * float(m.coding.steps_f[quality, c])
    return torch.from_numpy(f)


@torch.no_grad()
def generate(m: LoadedModel, n: int = 4, T: int | None = None, fix: str | None = None, seed: int = 0,
             device: str = "cpu") -> np.ndarray:
    """n sampled sequences, uint8 (n, T, H, W, 3)."""
    if not isinstance(m.model, DSAE):
        raise ModelError(f"generate needs a DSAE model; {m.cfg.name} is {m.cfg.kind}")
    if fix not in (None, "f", "z"):
        raise ValueError("fix must be None, 'f' or 'z'")
    cfg = m.cfg
    T = T or cfg.T
    q = cfg.n_quality - 1
    rng = np.random.default_rng(seed)
    g = torch.Generator().manual_seed(seed)
    f = sample_f(m, 1 if fix == "f" else n, q, rng).to(device).expand(n, -1)
    z = m.model.sample_z(1 if fix == "z" else n, T, generator=g, device=device).expand(n, -1, -1)
    x_hat = m.model.decode(f, z, torch.full((n,), q, dtype=torch.long, device=device))
    frames = (x_hat.clamp(0, 1) * 255).round().byte().permute(0, 1, 3, 4, 2).cpu().numpy()
    return np.repeat(frames, 3, axis=-1) if frames.shape[-1] == 1 else frames


def grid(seqs: np.ndarray, pad: int = 2) -> np.ndarray:
    """(n, T, H, W, 3) -> one image with a row per sequence and a column per frame."""
    n, T, H, W, C = seqs.shape
    img = np.full((n * (H + pad) + pad, T * (W + pad) + pad, C), 255, np.uint8)
    for i in range(n):
        for t in range(T):
            y, x = pad + i * (H + pad), pad + t * (W + pad)
            img[y:y + H, x:x + W] = seqs[i, t]
    return img
