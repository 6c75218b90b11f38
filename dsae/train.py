"""Training loop for the DSAE and the LSTM baselines: CPU or CUDA, optionally DistributedDataParallel.

No file IO here: the caller passes arrays of sequences and a `save` callback (codec/ writes checkpoints).
Each step draws a random quality point per sequence, so one model learns the whole quality ladder.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist

from .config import ModelConfig, TrainConfig
from .losses import elbo_loss, psnr, rd_loss
from .model import SequenceModel


def to_tensor(frames: np.ndarray, device) -> torch.Tensor:
    """uint8 (B, T, H, W, C) -> float (B, T, C, H, W) in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    return x.permute(0, 1, 4, 2, 3).float() / 255.0


def lr_at(step: int, tcfg: TrainConfig) -> float:
    """Cosine decay from lr to lr_final."""
    frac = min(step / max(tcfg.steps, 1), 1.0)
    return tcfg.lr_final + 0.5 * (tcfg.lr - tcfg.lr_final) * (1 + math.cos(math.pi * frac))


@torch.no_grad()
def evaluate(model: SequenceModel, frames: np.ndarray, device, batch: int = 32) -> list[dict]:
    """Per quality point: estimated bits per sequence (hard rounding, codec's snapping) and PSNR."""
    model.eval()
    cfg: ModelConfig = model.cfg
    rows = []
    for q in range(cfg.n_quality):
        bits, ps = [], []
        for i in range(0, len(frames), batch):
            x = to_tensor(frames[i:i + batch], device)
            quality = torch.full((x.shape[0],), q, dtype=torch.long, device=device)
            out = model(x, quality, noise=False)
            bits.append((out.bits_f + out.bits_z).cpu())
            ps.append(psnr(out.x_hat, x).cpu())
        b, p = torch.cat(bits), torch.cat(ps)
        rows.append({"quality": q, "bits_per_seq": b.mean().item(), "psnr": p.mean().item()})
    model.train()
    return rows


def train(model: SequenceModel, tcfg: TrainConfig, train_frames: np.ndarray, test_frames: np.ndarray,
          device="cpu", start_step: int = 0, optimizer: torch.optim.Optimizer | None = None,
          save: Callable[[int, SequenceModel, torch.optim.Optimizer, list | None], None] | None = None,
          log: Callable[[str], None] = print, progress: Callable[[int], None] | None = None) -> list[dict]:
    """Runs steps start_step..min(stop_at, steps); calls `save` every ckpt_every steps and at the end."""
    cfg: ModelConfig = model.cfg
    rank = dist.get_rank() if dist.is_initialized() else 0
    model.to(device).train()
    net = model
    if dist.is_initialized():
        # The tail quantiles learn only from the data-independent auxiliary loss, outside DDP's forward; they
        # stay identical across ranks because everything they depend on is synchronised.
        ignore = [n for n, _ in model.named_parameters() if n.endswith("quantiles")]
        DDP = torch.nn.parallel.DistributedDataParallel
        DDP._set_params_and_buffers_to_ignore_for_model(model, ignore)
        net = DDP(model, find_unused_parameters=True)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=tcfg.lr)
    rng = np.random.default_rng(tcfg.seed * 1000 + rank + start_step)
    lambdas = torch.tensor(cfg.lambdas, device=device)
    evals: list[dict] = []
    t0 = time.time()
    end = min(tcfg.stop_at or tcfg.steps, tcfg.steps)
    for step in range(start_step, end):
        for g in optimizer.param_groups:
            g["lr"] = lr_at(step, tcfg)
        idx = rng.integers(0, len(train_frames), tcfg.batch)
        x = to_tensor(train_frames[idx], device)
        quality = torch.from_numpy(rng.integers(0, cfg.n_quality, tcfg.batch)).to(device)
        if tcfg.objective == "elbo":
            out = model.forward_elbo(x, quality) if not dist.is_initialized() else net.module.forward_elbo(x, quality)
            loss, stats = elbo_loss(out, x, kl_weight=min(1.0, (step + 1) / max(tcfg.rate_warmup, 1)))
        else:
            out = net(x, quality)
            w = min(1.0, (step + 1) / max(tcfg.rate_warmup, 1))
            loss, stats = rd_loss(out, x, quality, lambdas, rate_weight=w, msssim=tcfg.msssim)
        total = loss + model.aux_loss()
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        done = step + 1
        if progress:
            progress(done)
        if rank == 0 and (done % 50 == 0 or done == end):
            log(f"step {done} loss {loss.item():.4f} " + " ".join(f"{k} {v:.4g}" for k, v in stats.items())
                + f" ({time.time() - t0:.0f}s)")
        if rank == 0 and (done % tcfg.eval_every == 0 or done == end) and len(test_frames):
            rows = evaluate(model, test_frames, device)
            evals.append({"step": done, "rows": rows})
            log(f"eval {done}: " + "  ".join(f"q{r['quality']} {r['bits_per_seq']:.0f}b {r['psnr']:.2f}dB"
                                             for r in rows))
        if save and rank == 0 and (done % tcfg.ckpt_every == 0 or done == end):
            save(done, model, optimizer, evals)
    return evals
