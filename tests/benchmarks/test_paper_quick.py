"""Fast checks of the paper replications' metrics and plumbing (benchmarks/paper), on known answers."""
import math

import numpy as np
import pytest
import torch

from benchmarks.paper import metrics as M


def logp(rows):
    return np.log(np.asarray(rows, np.float64))


def test_disagreement_and_error_rate():
    a = logp([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    b = logp([[0.8, 0.2], [0.7, 0.3], [0.1, 0.9], [0.4, 0.6]])
    assert M.disagreement(a, b) == 0.5
    assert M.disagreement(a, a) == 0.0
    assert M.error_rate(a, np.array([0, 1, 1, 1])) == 0.25


def test_kl_known_values():
    p, q = logp([[0.5, 0.5]]), logp([[0.25, 0.75]])
    assert M.kl(p, q) == pytest.approx(0.5 * math.log(4 / 3))
    assert M.kl(q, p) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    assert M.kl(p, p) == 0.0
    # the mean over rows
    assert M.kl(np.concatenate([p, p]), np.concatenate([q, p])) == pytest.approx(0.25 * math.log(4 / 3))


def test_kl_stays_finite_for_confident_predictions():
    p, q = np.array([[0.0, -800.0]]), np.array([[-800.0, 0.0]])  # probabilities that underflow to 0
    assert M.kl(p, q) == pytest.approx(800.0)


@pytest.mark.parametrize("n", [2, 3, 10, 257])
def test_derangement(n):
    rng = np.random.default_rng(n)
    for _ in range(20):
        perm = M.derangement(n, rng)
        assert sorted(perm.tolist()) == list(range(n))
        assert not np.any(perm == np.arange(n))


def test_mode_fraction_and_entropy():
    classes = np.array([[0, 0, 0, 0], [0, 1, 2, 3], [1, 1, 2, 2]])[:, :, None]  # (G=3, S=4, T=1)
    assert M.mode_fraction(classes)[:, 0] == pytest.approx([1.0, 0.25, 0.5])
    assert M.class_entropy(classes, 6)[:, 0] == pytest.approx([0.0, 2.0, 1.0])


def test_wrong_pixels_known_arrays():
    truth = np.zeros((2, 4, 4))
    truth[0, 1, 1:4] = 1.0  # 3 lit pixels in frame 0
    pred = np.zeros_like(truth)
    assert M.wrong_pixels(pred, truth) == pytest.approx([3 / 16, 0.0])
    pred[0, 1, 1] = 0.7  # one right now
    pred[1, 0, 0] = 0.5  # binarised at 0.5: counts as lit, wrong
    pred[1, 3, 3] = 0.49  # stays dark
    assert M.wrong_pixels(pred, truth) == pytest.approx([2 / 16, 1 / 16])
    assert M.wrong_pixels(truth, truth).sum() == 0
    with pytest.raises(ValueError):
        M.wrong_pixels(pred[:1], truth)


def test_factor_rows_on_synthetic_predictions():
    from benchmarks.paper.table1 import FACTORS, factor_rows

    rng = np.random.default_rng(0)
    N, T = 6, 8
    la = np.log(rng.dirichlet(np.ones(6), size=(N, T, 4)))
    lc = np.log(rng.dirichlet(np.ones(9), size=N))
    flipped = la[:, :, :, ::-1].copy()  # reversing the classes moves every argmax (Dirichlet draws are distinct)
    preds = {"data": (la, lc), "recon": (la, lc), "fix_f": (la, lc[::-1]), "fix_z": (flipped, lc)}
    labels = {k: la[:, 0, j].argmax(-1) for j, k in enumerate(FACTORS[:4])} | {"action": lc.argmax(-1)}
    res = factor_rows(preds, labels, M.derangement(N, rng))
    for a in FACTORS[:4]:
        assert res[a]["fix_f"]["disagreement"] == 0 and res[a]["fix_f"]["kl"] == 0
        assert res[a]["fix_z"]["disagreement"] == 1 and res[a]["fix_z"]["kl"] > 0
    assert res["action"]["fix_z"]["disagreement"] == 0 and res["action"]["classifier_error_on_data"] == 0
    assert res["action"]["fix_f"]["kl"] > 0


def test_classifier_shapes_and_fp16_roundtrip(tmp_path):
    from benchmarks.paper import classifier as C

    torch.manual_seed(0)
    clf = C.SpritesClassifier(width=8, feat=16)
    frames = np.random.default_rng(0).integers(0, 256, (3, 8, 64, 64, 3), dtype=np.uint8)
    la, lc = C.predict(clf, frames)
    assert la.shape == (3, 8, 4, 6) and lc.shape == (3, 9)
    assert np.exp(la).sum(-1) == pytest.approx(np.ones((3, 8, 4)))
    C.save(clf, tmp_path / "c.safetensors", {"note": "test"})
    la2, _ = C.predict(C.load(tmp_path / "c.safetensors"), frames)
    assert np.abs(np.exp(la2) - np.exp(la)).max() < 0.02  # fp16 weights


@pytest.mark.parametrize("name", ["tiny-grey", "tiny-lstm-f-factorised"])
def test_prediction_reads_only_the_observed_frames(models_env, name):
    from benchmarks.paper.ball_prediction import predict
    from codec.models import get_model

    m = get_model(name)
    C = m.cfg.channels
    x = torch.rand(2, 6, C, 16, 16)
    y = x.clone()
    y[:, 3:] = torch.rand_like(y[:, 3:])  # change only the frames to be predicted
    K = 2 if name == "tiny-grey" else 0
    p = predict(m, x, 3, samples=K, g=torch.Generator().manual_seed(0))
    q = predict(m, y, 3, samples=K, g=torch.Generator().manual_seed(0))
    assert p.shape == (1 + K, 2, 6, C, 16, 16)
    assert torch.equal(p, q)
    assert float(p.min()) >= 0 and float(p.max()) <= 1


def test_mask_iou_known_arrays():
    truth = np.zeros((3, 4, 4))
    truth[:, 0, :2] = 1.0  # 2 lit pixels per frame
    pred = np.zeros_like(truth)
    pred[1, 0, :3] = 0.9  # covers both, plus one more: IoU 2/3
    pred[2] = truth[2]
    assert M.mask_iou(pred, truth) == pytest.approx([0.0, 2 / 3, 1.0])
    assert M.mask_iou(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0  # both empty
