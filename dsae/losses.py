"""Training objectives.

* rate-distortion (codec): loss = w * bpp + lambda_q * D, with bpp = (bits(f) + bits(z_1:T)) / (T*H*W) and
  D = MSE on [0, 1] pixels (or 1 - MS-SSIM); lambda_q is the quality point's weight, w the rate warm-up.
* ELBO (generation experiments of the paper): Gaussian likelihood with fixed variance plus the KL terms,
  normalised per pixel.
"""
from __future__ import annotations

import torch
from pytorch_msssim import ms_ssim

from .model import Output

ELBO_VAR = 0.01  # fixed observation variance of p(x_t | z_t, f) in ELBO mode


def msssim_distortion(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """1 - MS-SSIM per sequence, (B,). Needs frames > 32 px: 11-tap window above 160 px, else a 3-tap
    window with the scales that fit (pytorch-msssim requires side > 16 * (window - 1))."""
    B, T, C, H, W = x.shape
    side = min(H, W)
    if side <= 32:
        raise ValueError("MS-SSIM distortion needs frames larger than 32 px")
    win, levels = (11, 5) if side > 160 else (3, 1)
    while win == 3 and levels < 5 and side / 2 ** levels >= 3:
        levels += 1
    w = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333][:levels]
    s = ms_ssim(x_hat.clamp(0, 1).flatten(0, 1), x.flatten(0, 1), data_range=1.0, size_average=False,
                weights=[v / sum(w) for v in w], win_size=win)  # (B*T,)
    return 1.0 - s.view(B, T).mean(1)


def rd_loss(out: Output, x: torch.Tensor, quality: torch.Tensor, lambdas: torch.Tensor,
            rate_weight: float = 1.0, msssim: bool = False) -> tuple[torch.Tensor, dict]:
    """x: (B, T, C, H, W); quality: (B,); lambdas: (Q,) -> (scalar loss, stats)."""
    B, T, C, H, W = x.shape
    bpp = (out.bits_f + out.bits_z) / (T * H * W)  # (B,)
    mse = ((out.x_hat - x) ** 2).mean(dim=(1, 2, 3, 4))  # (B,)
    dist = msssim_distortion(out.x_hat, x) if msssim else mse
    loss = (rate_weight * bpp + lambdas[quality] * dist).mean()
    stats = {"bpp": bpp.mean().item(), "mse": mse.mean().item(),
             "bits_f": out.bits_f.mean().item(), "bits_z": out.bits_z.mean().item()}
    return loss, stats


def elbo_loss(out: Output, x: torch.Tensor, kl_weight: float = 1.0) -> tuple[torch.Tensor, dict]:
    """Negative ELBO per pixel (nats): reconstruction under N(x_hat, ELBO_VAR) plus weighted KL."""
    B, T, C, H, W = x.shape
    rec = 0.5 * ((out.x_hat - x) ** 2).sum(dim=(1, 2, 3, 4)) / ELBO_VAR  # (B,)
    loss = ((rec + kl_weight * out.kl) / (T * H * W)).mean()
    return loss, {"rec": rec.mean().item(), "kl": out.kl.mean().item(),
                  "mse": ((out.x_hat - x) ** 2).mean().item()}


def psnr(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """PSNR in dB per sequence of [0, 1] frames, (B,), after clamping and 8-bit rounding."""
    a = torch.round(x_hat.clamp(0, 1) * 255) / 255
    mse = ((a - x) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(1.0 / mse)
