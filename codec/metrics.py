"""Distortion metrics on uint8 RGB clips (N, H, W, 3): PSNR and MS-SSIM (pytorch-msssim)."""
from __future__ import annotations

import numpy as np
import torch
from pytorch_msssim import ms_ssim, ssim

_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB over the whole clip (one MSE over all pixels and channels)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def msssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean per-frame MS-SSIM (pytorch-msssim).

    Frames over 160 px: the standard 5 scales with an 11-tap window. 33..160 px: a 3-tap window and as many
    of the 5 scales as fit (5 at 64 px). 32 px and below: single-scale SSIM (7-tap or smaller window),
    since pytorch-msssim's MS-SSIM needs more than 16*(window-1) pixels.
    """
    x = torch.from_numpy(a).permute(0, 3, 1, 2).float()
    y = torch.from_numpy(b).permute(0, 3, 1, 2).float()
    side = min(a.shape[1], a.shape[2])
    if side > 160:
        return float(ms_ssim(x, y, data_range=255).item())
    if side > 32:
        levels = 1
        while levels < 5 and side / 2 ** levels >= 3:
            levels += 1
        w = _WEIGHTS[:levels]
        return float(ms_ssim(x, y, data_range=255, win_size=3, weights=[v / sum(w) for v in w]).item())
    win = min(7, side if side % 2 else side - 1)
    if win < 1:
        return float("nan")
    return float(ssim(x, y, data_range=255, win_size=win).item())
