"""Symbols in, symbols out: the single code path that both the encoder and the decoder run.

`code_sequences` walks a batch of sequences in decode order -- f first, then z_1..z_T -- and asks a
`SymbolChannel` for each group of integer symbols. On the encoder the channel records the symbols it is
given (and returns them, possibly clamped); on the decoder it ignores the `None` it is given and returns
decoded symbols. Everything that shapes an entropy model (scale-table indices, snapped prior means, table
indices) is computed by the same lines on both sides, so on one device both sides see bit-identical
parameters. This module never sees bytes: codec/ implements the channel over bitstream/.

Quantisation (step units, per channel step s from the model's frozen tables):
  f:    k = round(f / s), coded under the exported categorical table of (quality, channel); f_hat = k s
  z_t:  mu_q = round(16 mu_t / s) / 16, r = round(z_t / s - mu_q), coded under N(0, table[idx]) where
        idx snaps sigma_t / s to the scale table; z_hat_t = (r + mu_q) s; z_hat_t feeds the prior's next step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from .model import DSAE, MEAN_GRID, SequenceModel

MEAN_LIMIT = 2.0 ** 20  # |snapped prior mean| cap in step units (keeps residuals inside int32)


class SymbolChannel(Protocol):
    """Per-batch symbol sink (encoder) or source (decoder); arrays are (B, n) int."""

    def categorical(self, values: np.ndarray | None, table_idx: np.ndarray) -> np.ndarray: ...

    def gaussian(self, residuals: np.ndarray | None, scale_idx: np.ndarray) -> np.ndarray: ...


@dataclass
class CodingTables:
    """Frozen coding state exported with the weights (float32 steps; the integer CDFs live in codec/)."""
    steps_f: torch.Tensor   # (Q, f_dim)
    steps_z: torch.Tensor   # (Q, z_dim)
    scale_table: np.ndarray  # (64,) float64, bitstream's SCALE_TABLE
    z_table_base: int = -1  # baselines: first categorical table of the global z (f's tables come first)


@dataclass
class Coded:
    x_hat: torch.Tensor     # (B, T, C, H, W) unclamped
    f_hat: torch.Tensor     # (B, f_dim)
    z_hat: torch.Tensor     # (B, T, z_dim) for the DSAE, (B, z_dim) for the baselines


def _check_finite(t: torch.Tensor, what: str) -> None:
    if not torch.isfinite(t).all():
        raise ValueError(f"model produced non-finite {what} (corrupt weights?)")


def snap_indices(sigma_y: torch.Tensor, scale_table: np.ndarray) -> np.ndarray:
    """Index of the smallest scale-table entry >= sigma (step units), clipped; (B, n) int32."""
    s = sigma_y.detach().to("cpu", torch.float64).numpy()
    idx = np.searchsorted(scale_table, s, side="left")
    return np.minimum(idx, len(scale_table) - 1).astype(np.int32)


def _code_categorical(channel, values, steps, quality, table_base, B, device):
    """Codes one latent vector per sequence under per-channel categorical tables; returns latent_hat."""
    C = steps.shape[1]
    table_idx = np.broadcast_to(table_base + quality * C + np.arange(C, dtype=np.int32), (B, C)).copy()
    s = steps[quality].to(device)  # (C,)
    k = None
    if values is not None:
        _check_finite(values, "latents")
        k = torch.round(values / s).clamp(-MEAN_LIMIT, MEAN_LIMIT).to("cpu", torch.int64).numpy().astype(np.int32)
    k = channel.categorical(k, table_idx)
    return torch.from_numpy(np.asarray(k, dtype=np.float32)).to(device) * s  # (B, C)


@torch.no_grad()
def code_sequences(model: SequenceModel, channel: SymbolChannel, tables: CodingTables, quality: int,
                   B: int, T: int, x: torch.Tensor | None = None, device="cpu") -> Coded:
    """Encode (x given, (B, T, C, H, W) in [0, 1]) or decode (x None) one batch of sequences."""
    model.eval()
    encoding = x is not None
    feats = model.features(x) if encoding else None
    f_mu = model.q_f(feats)[0] if encoding else None
    f_hat = _code_categorical(channel, f_mu, tables.steps_f, quality, 0, B, device)
    qvec = torch.full((B,), quality, dtype=torch.long, device=device)
    if not isinstance(model, DSAE):
        z_mu = model.q_z(feats) if encoding else None
        z_hat = _code_categorical(channel, z_mu, tables.steps_z, quality, tables.z_table_base, B, device)
        x_hat = model.decode(f_hat, model.dynamics(z_hat, T), qvec)
        return Coded(x_hat, f_hat, z_hat)

    s = tables.steps_z[quality].to(device)  # (z_dim,)
    ctx = model.q_z_start(feats, f_hat) if encoding else None
    z_prev = torch.zeros(B, model.cfg.z_dim, device=device)
    state_p = state_q = None
    z_hats = []
    for t in range(T):
        mu, sigma, state_p = model.prior_step(z_prev, state_p)  # the prior, identical on both sides
        _check_finite(mu, "prior mean")
        _check_finite(sigma, "prior scale")
        mu_q = (torch.round(mu / s * MEAN_GRID) / MEAN_GRID).clamp(-MEAN_LIMIT, MEAN_LIMIT)  # (B, z_dim)
        idx = snap_indices(sigma / s, tables.scale_table)
        r = None
        if encoding:
            z_mu, _, state_q = model.q_z_step(ctx, t, z_prev, state_q)
            _check_finite(z_mu, "latents")
            r = torch.round(z_mu / s - mu_q).clamp(-2**30, 2**30).to("cpu", torch.int64).numpy().astype(np.int32)
        r = channel.gaussian(r, idx)
        z_prev = (torch.from_numpy(np.asarray(r, dtype=np.float32)).to(device) + mu_q) * s
        z_hats.append(z_prev)
    z_hat = torch.stack(z_hats, 1)  # (B, T, z_dim)
    x_hat = model.decode(f_hat, z_hat, qvec)
    return Coded(x_hat, f_hat, z_hat)


class RecordingChannel:
    """A channel that only records symbols (encoder side without bytes); used by tests and estimates."""

    def __init__(self) -> None:
        self.log: list[tuple[str, np.ndarray, np.ndarray]] = []

    def categorical(self, values, table_idx):
        self.log.append(("c", np.asarray(values).copy(), table_idx.copy()))
        return values

    def gaussian(self, residuals, scale_idx):
        self.log.append(("g", np.asarray(residuals).copy(), scale_idx.copy()))
        return residuals


class ReplayChannel:
    """Replays a RecordingChannel's symbols (decoder side without bytes) and checks the parameters match."""

    def __init__(self, log) -> None:
        self.log, self.i, self.param_mismatches = list(log), 0, 0

    def _next(self, kind, params):
        k, values, p = self.log[self.i]
        self.i += 1
        if k != kind or not np.array_equal(p, params):
            self.param_mismatches += 1
        return values

    def categorical(self, values, table_idx):
        return self._next("c", table_idx)

    def gaussian(self, residuals, scale_idx):
        return self._next("g", scale_idx)
