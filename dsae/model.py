"""The Disentangled Sequential Autoencoder (Li & Mandt, ICML 2018) in its codec form.

Names follow the paper (§2):
  x_1:T  frames of one sequence (a video segment), (B, T, C, H, W) in [0, 1]
  f      static latent, one per sequence: q(f | x_1:T) is a bi-LSTM over frame features
  z_t    dynamic latent, one per frame: factorised q(z_t | x_t), or full q(z_1:T | f, x_1:T) (bi-LSTM
         conditioned on f, then a forward RNN)
  prior  p(z_t | z_<t): an LSTM giving a Gaussian mean and scale per step, with z_0 = 0
  p(f)   a learned factorised density (compressai EntropyBottleneck), see density.py
Codec form (Han et al. 2019): latents get additive U(-step/2, step/2) noise in training and are rounded to
multiples of a learned per-quality, per-channel step at test time; rate = cross-entropy under the priors.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .config import ModelConfig
from .density import FactorisedDensity, gaussian_bits, gaussian_kl
from .nets import FrameDecoder, FrameEncoder, decode_frames, encode_frames

MEAN_GRID = 16  # prior means are snapped to multiples of 1/16 step so both codec sides agree exactly


@dataclass
class Output:
    """What forward returns; losses consume only this (CompressAI's model contract)."""
    x_hat: torch.Tensor                 # (B, T, C, H, W), unclamped
    bits_f: torch.Tensor                # (B,) bits of f
    bits_z: torch.Tensor                # (B,) bits of z_1:T (or the baselines' global z)
    kl: torch.Tensor | None = None      # (B,) nats, ELBO mode only


class SequenceModel(nn.Module):
    """Parts shared by the DSAE and the LSTM-f/LSTM-c baselines: frame nets, q(f|x_1:T), p(f), steps."""

    def __init__(self, cfg: ModelConfig, dyn_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.frame_enc = FrameEncoder(cfg)
        self.frame_dec = FrameDecoder(cfg, cfg.f_dim + dyn_dim)
        self.q_f_rnn = nn.LSTM(cfg.feat_dim, cfg.hidden, batch_first=True, bidirectional=True)
        self.q_f_out = nn.Linear(2 * cfg.hidden, 2 * cfg.f_dim)
        self.p_f = FactorisedDensity(cfg.f_dim)
        init = torch.tensor(cfg.step_init).log()
        self.log_step_f = nn.Parameter(init.view(-1, 1).repeat(1, cfg.f_dim))  # (Q, f_dim)
        self.log_step_z = nn.Parameter(init.view(-1, 1).repeat(1, cfg.z_dim))  # (Q, z_dim)

    def step_f(self, quality: torch.Tensor) -> torch.Tensor:
        return self.log_step_f[quality].exp()  # (B, f_dim)

    def step_z(self, quality: torch.Tensor) -> torch.Tensor:
        return self.log_step_z[quality].exp()  # (B, z_dim)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return encode_frames(self.frame_enc, x)  # (B, T, feat_dim)

    def q_f(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(f | x_1:T): mean and log-variance, each (B, f_dim)."""
        _, (h, _) = self.q_f_rnn(feats)  # h: (2, B, hidden)
        mu, logvar = self.q_f_out(torch.cat([h[0], h[1]], dim=-1)).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 5)

    def decode(self, f: torch.Tensor, dyn: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
        """f: (B, f_dim), dyn: (B, T, d) -> x_hat (B, T, C, H, W)."""
        T = dyn.shape[1]
        v = torch.cat([f.unsqueeze(1).expand(-1, T, -1), dyn], dim=-1)  # (B, T, f_dim + d)
        return decode_frames(self.frame_dec, v, quality)

    def aux_loss(self) -> torch.Tensor:
        """Auxiliary loss of the learned densities' tail quantiles (touches nothing else)."""
        return self.p_f.aux_loss()

    def _quantise_f(self, f_mu, step, noise: bool):
        if noise:
            return f_mu + step * (torch.rand_like(f_mu) - 0.5)
        return torch.round(f_mu / step) * step


class DSAE(SequenceModel):
    """The stochastic model: p(f) prod_t p(z_t | z_<t) p(x_t | z_t, f)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg, cfg.z_dim)
        H = cfg.hidden
        self.prior_rnn = nn.LSTM(cfg.z_dim, H, batch_first=True)
        self.prior_out = nn.Linear(H, 2 * cfg.z_dim)
        if cfg.q == "factorised":
            self.q_z_out = nn.Linear(cfg.feat_dim, 2 * cfg.z_dim)
        else:
            self.q_z_bi = nn.LSTM(cfg.feat_dim + cfg.f_dim, H, batch_first=True, bidirectional=True)
            self.q_z_cell = nn.LSTMCell(2 * H + cfg.z_dim, H)
            self.q_z_out = nn.Linear(H, 2 * cfg.z_dim)

    # --- prior p(z_t | z_<t) ---
    def _prior_params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, s = self.prior_out(h).chunk(2, dim=-1)
        return mu, nn.functional.softplus(s) + 1e-3

    def prior_step(self, z_prev: torch.Tensor, state=None):
        """One prior step, the codec's path on both sides: z_prev (B, z_dim) -> mu, sigma (B, z_dim), state."""
        h, state = self.prior_rnn(z_prev.unsqueeze(1), state)  # h: (B, 1, H)
        mu, sigma = self._prior_params(h[:, 0])
        return mu, sigma, state

    def prior_seq(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced prior over a whole sequence: z (B, T, z_dim) -> mu, sigma of p(z_t | z_<t)."""
        z_in = torch.cat([torch.zeros_like(z[:, :1]), z[:, :-1]], dim=1)  # z_0 = 0
        h, _ = self.prior_rnn(z_in)
        return self._prior_params(h)

    # --- posterior q(z | ...) ---
    def q_z_start(self, feats: torch.Tensor, f: torch.Tensor):
        """Context for q(z): factorised -> per-frame params; full -> bi-LSTM outputs conditioned on f."""
        if self.cfg.q == "factorised":
            return self.q_z_out(feats)  # (B, T, 2 z_dim)
        T = feats.shape[1]
        h, _ = self.q_z_bi(torch.cat([feats, f.unsqueeze(1).expand(-1, T, -1)], dim=-1))
        return h  # (B, T, 2H)

    def q_z_step(self, ctx, t: int, z_prev: torch.Tensor, state=None):
        """q(z_t | ...) at step t: mean, log-variance (B, z_dim), state. The full q feeds z_{t-1}."""
        if self.cfg.q == "factorised":
            mu, logvar = ctx[:, t].chunk(2, dim=-1)
            return mu, logvar.clamp(-10, 5), None
        state = self.q_z_cell(torch.cat([ctx[:, t], z_prev], dim=-1), state)
        mu, logvar = self.q_z_out(state[0]).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 5), state

    # --- objectives ---
    def forward(self, x: torch.Tensor, quality: torch.Tensor, noise: bool = True) -> Output:
        """Codec objective: x (B, T, C, H, W), quality (B,) -> Output with bits of f and z_1:T."""
        feats = self.features(x)
        f_mu, _ = self.q_f(feats)
        sf, sz = self.step_f(quality), self.step_z(quality)
        f_hat = self._quantise_f(f_mu, sf, noise)
        bits_f = self.p_f.bits(f_hat, sf).sum(-1)
        ctx = self.q_z_start(feats, f_hat)
        sz_t = sz.unsqueeze(1)  # (B, 1, z_dim)
        if self.cfg.q == "factorised":
            y = ctx.chunk(2, dim=-1)[0] / sz_t  # (B, T, z_dim), step units
            if noise:
                y_hat = y + torch.rand_like(y) - 0.5
                mu, sigma = self.prior_seq(y_hat * sz_t)
                mu_y = mu / sz_t
            else:  # exactly the codec's rounding (snapped means), without entropy coding
                y_hat, mu_y, sigma = self._round_sequential(y, sz)
            z_hat = y_hat * sz_t
            sigma_y = sigma / sz_t
        else:
            z_hat, y_hat, mu_y, sigma_y = self._full_q_sequence(ctx, sz, noise)
        bits_z = gaussian_bits(y_hat, mu_y, sigma_y).sum(dim=(1, 2))
        x_hat = self.decode(f_hat, z_hat, quality)
        return Output(x_hat, bits_f, bits_z)

    def _round_sequential(self, y, sz):
        B, T, _ = y.shape
        z_prev, state, ys, mus, sigmas = y.new_zeros(B, self.cfg.z_dim), None, [], [], []
        for t in range(T):
            mu, sigma, state = self.prior_step(z_prev, state)
            mu_q = torch.round(mu / sz * MEAN_GRID) / MEAN_GRID
            y_hat = torch.round(y[:, t] - mu_q) + mu_q
            z_prev = y_hat * sz
            ys.append(y_hat), mus.append(mu / sz), sigmas.append(sigma)
        return torch.stack(ys, 1), torch.stack(mus, 1), torch.stack(sigmas, 1)

    def _full_q_sequence(self, ctx, sz, noise):
        B, T = ctx.shape[:2]
        z_prev, sq, sp = ctx.new_zeros(B, self.cfg.z_dim), None, None
        zs, ys, mus, sigmas = [], [], [], []
        for t in range(T):
            mu_p, sig_p, sp = self.prior_step(z_prev, sp)
            z_mu, _, sq = self.q_z_step(ctx, t, z_prev, sq)
            y = z_mu / sz
            if noise:
                y_hat = y + torch.rand_like(y) - 0.5
            else:
                mu_q = torch.round(mu_p / sz * MEAN_GRID) / MEAN_GRID
                y_hat = torch.round(y - mu_q) + mu_q
            z_prev = y_hat * sz
            zs.append(z_prev), ys.append(y_hat), mus.append(mu_p / sz), sigmas.append(sig_p / sz)
        return tuple(torch.stack(v, 1) for v in (zs, ys, mus, sigmas))

    def forward_elbo(self, x: torch.Tensor, quality: torch.Tensor) -> Output:
        """The paper's ELBO: sampled f and z_1:T, KL[q(f)||N(0, I)] + sum_t KL[q(z_t|.)||p(z_t|z_<t)]."""
        feats = self.features(x)
        f_mu, f_logvar = self.q_f(feats)
        f = f_mu + (0.5 * f_logvar).exp() * torch.randn_like(f_mu)
        kl = gaussian_kl(f_mu, f_logvar, torch.zeros_like(f_mu), torch.zeros_like(f_mu)).sum(-1)
        ctx = self.q_z_start(feats, f)
        B, T = feats.shape[:2]
        z_prev, sq, sp, zs = feats.new_zeros(B, self.cfg.z_dim), None, None, []
        for t in range(T):
            mu_p, sig_p, sp = self.prior_step(z_prev, sp)
            mu_q, logvar_q, sq = self.q_z_step(ctx, t, z_prev, sq)
            z_prev = mu_q + (0.5 * logvar_q).exp() * torch.randn_like(mu_q)
            kl = kl + gaussian_kl(mu_q, logvar_q, mu_p, 2 * sig_p.log()).sum(-1)
            zs.append(z_prev)
        x_hat = self.decode(f, torch.stack(zs, 1), quality)
        zero = kl.new_zeros(B)
        return Output(x_hat, zero, zero, kl=kl)

    @torch.no_grad()
    def sample_z(self, B: int, T: int, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
        """z_1:T ~ prod_t p(z_t | z_<t): (B, T, z_dim)."""
        z_prev, state, zs = torch.zeros(B, self.cfg.z_dim, device=device), None, []
        for _ in range(T):
            mu, sigma, state = self.prior_step(z_prev, state)
            eps = torch.randn(mu.shape, generator=generator, device="cpu").to(mu.device)
            z_prev = mu + sigma * eps
            zs.append(z_prev)
        return torch.stack(zs, 1)
