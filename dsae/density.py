"""Entropy models of the codec objective (Han et al. 2019 form of DSAE, FACTS.md "Codec form").

* `FactorisedDensity`: the learned factorised density of f (and of the baselines' global z), built on compressai's
  EntropyBottleneck. Quantisation bins are k * step per channel, where `step` is a learned per-quality,
  per-channel quantisation step; a bin's probability is c((k + 1/2) step) - c((k - 1/2) step) with c the
  EntropyBottleneck's learned CDF.
* `gaussian_bits`: bits of y_hat under N(mu, sigma) convolved with U(-1/2, 1/2), all in step units.
* `export_pmfs`: the explicit export step that turns the learned density into per-(quality, channel) float pmfs
  over a bounded integer support; codec/ quantises them to integer CDFs with bitstream's one function and
  stores those tables as model state, so encoder and decoder never recompute them.
"""
from __future__ import annotations

import math

import torch
from compressai.entropy_models import EntropyBottleneck
from torch import nn

LIKELIHOOD_FLOOR = 1e-9
SCALE_MIN = 0.11           # smallest std (in step units) of the bitstream scale table
MAX_SUPPORT = 2047         # cap on categorical table length per channel


class FactorisedDensity(nn.Module):
    """p(f): one learned univariate density per channel (compressai EntropyBottleneck)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.eb = EntropyBottleneck(channels)

    def _cdf_logits(self, v: torch.Tensor) -> torch.Tensor:
        """v: (N, C) -> logits of the CDF at v, (N, C)."""
        logits = self.eb._logits_cumulative(v.t().unsqueeze(1), stop_gradient=False)  # (C, 1, N)
        return logits.squeeze(1).t()

    def bits(self, v_hat: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        """v_hat: (N, C) noisy/quantised values, step: (N, C) bin widths -> bits per element (N, C)."""
        lower = self._cdf_logits(v_hat - step / 2)
        upper = self._cdf_logits(v_hat + step / 2)
        sign = -torch.sign(lower + upper).detach()  # evaluate in the tail with the better precision
        p = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return -torch.log2(p.clamp_min(LIKELIHOOD_FLOOR))

    def aux_loss(self) -> torch.Tensor:
        """Trains the tail quantiles that bound the exported support (compressai's auxiliary loss)."""
        return self.eb.loss()

    @torch.no_grad()
    def export_pmfs(self, steps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """steps: (Q, C) -> pmfs (Q*C, L) float64, offsets and lengths (Q*C,) int64.

        Row q*C+c is channel c at quality q; symbol j of a row stands for k = offset + j, i.e. f = k*step.

        The support of each row is the integer range [lo, hi] of k with k*step inside the learned
        quantiles; the tail mass outside is folded into the end bins. Rows are zero-padded to L.
        """
        q = self.eb.quantiles.detach().double()[:, 0, :]  # (C, 3): lower, median, upper
        eb64 = self._double_eb()
        rows, offsets = [], []
        for qi in range(steps.shape[0]):
            for c in range(self.channels):
                s = float(steps[qi, c])
                lo = math.floor(float(q[c, 0]) / s) - 1
                hi = math.ceil(float(q[c, 2]) / s) + 1
                if hi - lo + 1 > MAX_SUPPORT:
                    mid = round(float(q[c, 1]) / s)
                    lo, hi = mid - MAX_SUPPORT // 2, mid + MAX_SUPPORT // 2
                k = torch.arange(lo, hi + 1, dtype=torch.float64)
                edges = torch.cat([(k - 0.5) * s, ((k[-1:] + 0.5) * s)])  # (L+1,)
                cdf = torch.sigmoid(eb64(c, edges))
                cdf[0], cdf[-1] = 0.0, 1.0  # tails folded into the end bins
                rows.append((cdf[1:] - cdf[:-1]).clamp_min(0.0))
                offsets.append(lo)
        L = max(len(r) for r in rows)
        pmfs = torch.zeros(len(rows), L, dtype=torch.float64)
        for i, r in enumerate(rows):
            pmfs[i, : len(r)] = r
        lengths = torch.tensor([len(r) for r in rows], dtype=torch.int64)
        return pmfs, torch.tensor(offsets, dtype=torch.int64), lengths

    def _double_eb(self):
        mats = [m.detach().double() for m in self.eb.matrices]
        biases = [b.detach().double() for b in self.eb.biases]
        factors = [f.detach().double() for f in self.eb.factors]

        def cdf_logits(c: int, v: torch.Tensor) -> torch.Tensor:
            x = v.view(1, -1)  # (1, N)
            for i in range(len(mats)):
                x = torch.nn.functional.softplus(mats[i][c]) @ x + biases[i][c]
                if i < len(factors):
                    x = x + torch.tanh(factors[i][c]) * torch.tanh(x)
            return x.view(-1)

        return cdf_logits


def gaussian_bits(y_hat: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Bits of y_hat under N(mu, sigma) * U(-1/2, 1/2) (unit bins, step units); elementwise."""
    sigma = sigma.clamp_min(SCALE_MIN)
    v = (y_hat - mu).abs()
    normal = torch.distributions.Normal(0.0, 1.0)
    p = normal.cdf((0.5 - v) / sigma) - normal.cdf((-0.5 - v) / sigma)
    return -torch.log2(p.clamp_min(LIKELIHOOD_FLOOR))


def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p) -> torch.Tensor:
    """KL[N(mu_q, var_q) || N(mu_p, var_p)] in nats, elementwise (for the ELBO objective)."""
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1.0)
