"""Frame networks shared by the DSAE and the LSTM-f/LSTM-c baselines.

FrameEncoder maps one frame x_t to a feature vector; FrameDecoder maps [f, z_t, quality embedding] back to
a frame x_hat_t. The decoder output is linear (no sigmoid): a sigmoid with an MSE loss collapses to blank
frames (FACTS.md); outputs are clamped to [0, 1] only when turned into pixels.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig


class FrameEncoder(nn.Module):
    """x: (N, C, H, W) in [0, 1] -> features (N, feat_dim); stride-2 4x4 convs, then a linear layer."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = cfg.channels
        for c_out in cfg.conv:
            layers += [nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
            c_in = c_out
        self.conv = nn.Sequential(*layers)
        down = 2 ** len(cfg.conv)
        self.flat = c_in * (cfg.height // down) * (cfg.width // down)
        self.fc = nn.Sequential(nn.Linear(self.flat, cfg.feat_dim), nn.LeakyReLU(0.2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x - 0.5)  # (N, C', H', W')
        return self.fc(h.flatten(1))  # (N, feat_dim)


class FrameDecoder(nn.Module):
    """[f, dyn, quality embedding]: (N, in_dim) -> x_hat: (N, C, H, W), mirroring FrameEncoder."""

    def __init__(self, cfg: ModelConfig, in_dim: int) -> None:
        super().__init__()
        down = 2 ** len(cfg.conv)
        self.h0, self.w0 = cfg.height // down, cfg.width // down
        widths = list(reversed(cfg.conv))
        self.c0 = widths[0]
        self.quality_embed = nn.Embedding(cfg.n_quality, 8)
        self.fc = nn.Sequential(
            nn.Linear(in_dim + 8, cfg.feat_dim), nn.LeakyReLU(0.2),
            nn.Linear(cfg.feat_dim, self.c0 * self.h0 * self.w0), nn.LeakyReLU(0.2),
        )
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        layers += [nn.ConvTranspose2d(widths[-1], cfg.channels, 4, stride=2, padding=1)]
        self.deconv = nn.Sequential(*layers)

    def forward(self, v: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        e = self.quality_embed(quality)  # (N, 8)
        h = self.fc(torch.cat([v, e], dim=-1)).view(-1, self.c0, self.h0, self.w0)  # (N, C0, H0, W0)
        return self.deconv(h) + 0.5  # (N, C, H, W)


def encode_frames(enc: FrameEncoder, x: torch.Tensor) -> torch.Tensor:
    """x: (B, T, C, H, W) -> (B, T, feat_dim)."""
    B, T = x.shape[:2]
    return enc(x.flatten(0, 1)).view(B, T, -1)


def decode_frames(dec: FrameDecoder, v: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """v: (B, T, in_dim), quality: (B,) -> x_hat (B, T, C, H, W)."""
    B, T = v.shape[:2]
    q = quality.view(B, 1).expand(B, T).reshape(-1)
    x = dec(v.flatten(0, 1), q)
    return x.view(B, T, *x.shape[1:])
