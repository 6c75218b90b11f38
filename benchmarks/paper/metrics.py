"""Metrics of the seed's experiments (DSAE §4.1 Table 1, §4.3 Fig. 8), numpy only.

Classifier outputs are handled as log-probabilities (N, K) so that KL terms stay finite even when the
classifier is nearly certain. KL values are in nats.
  disagreement(a, b)        fraction of rows whose argmax differs
  kl(log_p, log_q)          mean over rows of KL[p || q]
  wrong_pixels(pred, truth) fraction of pixels that differ after binarising both at 0.5 (on [0, 1])
  mask_iou(pred, truth)     intersection over union of the same binarised masks (a blank guess scores 0)
"""
from __future__ import annotations

import numpy as np


def disagreement(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """Fraction of rows (N, K) where the two predicted classes differ."""
    return float(np.mean(log_p.argmax(-1) != log_q.argmax(-1)))


def error_rate(log_p: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows (N, K) whose predicted class is not `labels` (N,)."""
    return float(np.mean(log_p.argmax(-1) != labels))


def kl(log_p: np.ndarray, log_q: np.ndarray) -> float:
    """Mean over rows of KL[p || q] in nats; inputs are log-probabilities (N, K)."""
    p = np.exp(log_p)
    return float(np.mean(np.sum(p * (log_p - log_q), axis=-1)))


def derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random permutation of range(n) with no fixed point (each row gets a *different* row)."""
    if n < 2:
        raise ValueError("a derangement needs n >= 2")
    while True:  # rejection: about e = 2.7 draws on average
        perm = rng.permutation(n)
        if not np.any(perm == np.arange(n)):
            break
    return perm


def mode_fraction(classes: np.ndarray) -> np.ndarray:
    """Share of the most frequent class along axis 1: (G, S, ...) int -> (G, ...) in [1/S, 1]."""
    K = int(classes.max()) + 1
    counts = (classes[..., None] == np.arange(K)).sum(axis=1)  # (G, ..., K)
    return counts.max(-1) / classes.shape[1]


def class_entropy(classes: np.ndarray, n_classes: int) -> np.ndarray:
    """Entropy (bits) of the empirical class distribution along axis 1: (G, S, ...) -> (G, ...)."""
    p = (classes[..., None] == np.arange(n_classes)).mean(axis=1)  # (G, ..., K)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log2(p), 0.0)
    return h.sum(-1)


def wrong_pixels(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Per-frame fraction of wrong pixels: greyscale (..., H, W) in [0, 1] -> (...)."""
    if pred.shape != truth.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {truth.shape}")
    wrong = (pred >= threshold) != (truth >= threshold)
    return wrong.mean(axis=(-2, -1))


def mask_iou(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Per-frame IoU of the binarised masks: (..., H, W) -> (...); 1 where both are empty."""
    if pred.shape != truth.shape:
        raise ValueError(f"shapes differ: {pred.shape} vs {truth.shape}")
    a, b = pred >= threshold, truth >= threshold
    inter, union = (a & b).sum(axis=(-2, -1)), (a | b).sum(axis=(-2, -1))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)
