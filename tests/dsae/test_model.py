"""DSAE and LSTM baselines: shapes, rate terms, learning, the shared coding path."""
import numpy as np
import pytest
import torch

from tinymodels import tiny_model
from dsae.coding import CodingTables, RecordingChannel, ReplayChannel, code_sequences
from dsae.density import gaussian_bits
from dsae.losses import elbo_loss, rd_loss

KINDS = [("dsae", "factorised"), ("dsae", "full"), ("lstm-f", "factorised"), ("lstm-c", "factorised")]
SCALES = np.exp(np.linspace(np.log(0.11), np.log(256), 64))


def _x(B=3, T=4, C=3, S=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(B, T, C, S, S, generator=g)


@pytest.mark.parametrize("kind,q", KINDS)
def test_shapes_and_rates(kind, q):
    m = tiny_model(kind, q)
    x = _x()
    quality = torch.tensor([0, 1, 3])
    for noise in (True, False):
        out = m(x, quality, noise=noise)
        assert out.x_hat.shape == x.shape
        assert out.bits_f.shape == out.bits_z.shape == (3,)
        assert torch.isfinite(out.bits_f).all() and torch.isfinite(out.bits_z).all()
        assert (out.bits_f > 0).all() and (out.bits_z > 0).all()


def test_gaussian_bits_matches_discretised_density():
    mu, sigma = torch.tensor([0.3]), torch.tensor([1.7])
    total = sum(2 ** -gaussian_bits(torch.tensor([float(k)]), mu, sigma).item() for k in range(-30, 31))
    assert abs(total - 1.0) < 1e-5


@pytest.mark.parametrize("kind,q", [("dsae", "factorised"), ("lstm-c", "factorised")])
def test_loss_falls_on_a_small_batch(kind, q):
    m = tiny_model(kind, q, seed=1)
    x = _x(B=4, seed=2)
    quality = torch.tensor([0, 1, 2, 3])
    lambdas = torch.tensor(m.cfg.lambdas)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    torch.manual_seed(0)
    losses = []
    for _ in range(60):
        loss, _ = rd_loss(m(x, quality), x, quality, lambdas)
        opt.zero_grad()
        (loss + m.aux_loss()).backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_elbo_objective_runs_and_is_finite():
    m = tiny_model("dsae", "full")
    x = _x()
    out = m.forward_elbo(x, torch.tensor([3, 3, 3]))
    loss, stats = elbo_loss(out, x)
    assert torch.isfinite(loss) and stats["kl"] > 0


def _tables(m):
    Q = m.cfg.n_quality
    return CodingTables(m.log_step_f.detach().exp(), m.log_step_z.detach().exp(), SCALES, Q * m.cfg.f_dim)


@pytest.mark.parametrize("kind,q", KINDS)
def test_symbol_round_trip_and_identical_prior_path(kind, q):
    """decode(encode(x)) reproduces the encoder's own reconstruction exactly, and the decoder asks for
    exactly the entropy parameters the encoder used (same prior path on both sides)."""
    m = tiny_model(kind, q).eval()
    x = _x(B=5)
    rec = RecordingChannel()
    enc = code_sequences(m, rec, _tables(m), 2, 5, 4, x=x)
    rep = ReplayChannel(rec.log)
    dec = code_sequences(m, rep, _tables(m), 2, 5, 4)
    assert rep.i == len(rec.log) and rep.param_mismatches == 0
    assert torch.equal(enc.x_hat, dec.x_hat)
    assert torch.equal(enc.z_hat, dec.z_hat) and torch.equal(enc.f_hat, dec.f_hat)


def test_codec_rounding_matches_eval_forward():
    """The eval-mode forward (used for estimated bits) quantises exactly like the codec path."""
    m = tiny_model("dsae", "factorised").eval()
    x = _x(B=2)
    rec = RecordingChannel()
    enc = code_sequences(m, rec, _tables(m), 1, 2, 4, x=x)
    out = m(x, torch.tensor([1, 1]), noise=False)
    assert torch.allclose(out.x_hat, enc.x_hat, atol=1e-5)


def test_sample_z_shapes():
    m = tiny_model("dsae")
    z = m.sample_z(3, 7, generator=torch.Generator().manual_seed(0))
    assert z.shape == (3, 7, 3) and torch.isfinite(z).all()
