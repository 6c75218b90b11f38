"""The paper's deterministic baselines (DSAE §4.3): one global z per sequence plus f, same frame networks.

  LSTM-f: h_0 = z, h_t = LSTM(h_{t-1})       (z sets the initial state; no input afterwards)
  LSTM-c: h_0 = 0, h_t = LSTM(h_{t-1}, z)    (z is the input at every step)
The frame decoder sees [f, h_t]. As codecs, f and z are both coded under learned factorised densities
(compressai EntropyBottleneck) with learned per-quality steps, exactly like the DSAE's f.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .density import FactorisedDensity
from .model import Output, SequenceModel


class LSTMBaseline(SequenceModel):
    """LSTM-f (`cfg.kind == "lstm-f"`) or LSTM-c (`"lstm-c"`)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg, cfg.hidden)
        H = cfg.hidden
        self.q_z_rnn = nn.LSTM(cfg.feat_dim, H, batch_first=True, bidirectional=True)
        self.q_z_out = nn.Linear(2 * H, cfg.z_dim)
        self.p_z = FactorisedDensity(cfg.z_dim)
        if cfg.kind == "lstm-f":
            self.h0 = nn.Linear(cfg.z_dim, 2 * H)       # z -> (h_0, c_0)
            self.cell = nn.LSTMCell(1, H)               # no input: a constant zero
        else:
            self.cell = nn.LSTMCell(cfg.z_dim, H)

    def q_z(self, feats: torch.Tensor) -> torch.Tensor:
        """Global z from the whole sequence: (B, T, feat) -> (B, z_dim)."""
        _, (h, _) = self.q_z_rnn(feats)
        return self.q_z_out(torch.cat([h[0], h[1]], dim=-1))

    def dynamics(self, z: torch.Tensor, T: int) -> torch.Tensor:
        """Deterministic h_1:T from the global z: (B, z_dim) -> (B, T, hidden)."""
        B, H = z.shape[0], self.cfg.hidden
        if self.cfg.kind == "lstm-f":
            h, c = torch.tanh(self.h0(z)).chunk(2, dim=-1)
            inp = z.new_zeros(B, 1)
        else:
            h, c = z.new_zeros(B, H), z.new_zeros(B, H)
            inp = z
        hs = []
        for _ in range(T):
            h, c = self.cell(inp, (h, c))
            hs.append(h)
        return torch.stack(hs, 1)

    def forward(self, x: torch.Tensor, quality: torch.Tensor, noise: bool = True) -> Output:
        feats = self.features(x)
        f_mu, _ = self.q_f(feats)
        sf, sz = self.step_f(quality), self.step_z(quality)
        f_hat = self._quantise_f(f_mu, sf, noise)
        z_hat = self._quantise_f(self.q_z(feats), sz, noise)
        bits_f = self.p_f.bits(f_hat, sf).sum(-1)
        bits_z = self.p_z.bits(z_hat, sz).sum(-1)
        x_hat = self.decode(f_hat, self.dynamics(z_hat, x.shape[1]), quality)
        return Output(x_hat, bits_f, bits_z)

    def aux_loss(self) -> torch.Tensor:
        return self.p_f.aux_loss() + self.p_z.aux_loss()


def build_model(cfg: ModelConfig) -> SequenceModel:
    """The one constructor: a DSAE or a baseline from its config."""
    from .model import DSAE

    return DSAE(cfg) if cfg.kind == "dsae" else LSTMBaseline(cfg)
