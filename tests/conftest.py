"""Shared fixtures: tiny, randomly initialised models saved as real weight files (fast on CPU)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from tinymodels import tiny_model

torch.set_num_threads(1)  # tiny models: extra threads only add contention on 2-core machines


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A directory of tiny shipped-format models, registered through $DSAE_MODELS."""
    from codec.weights import save_weights

    d = tmp_path_factory.mktemp("models")
    for kind, q in (("dsae", "factorised"), ("dsae", "full"), ("lstm-f", "factorised"), ("lstm-c", "factorised")):
        m = tiny_model(kind, q)
        save_weights(m, d / f"{m.cfg.name}.safetensors", info={"training": {"note": "random init, tests only"}})
    m = tiny_model("dsae", "factorised", channels=1, name="tiny-grey")
    save_weights(m, d / "tiny-grey.safetensors")
    return d


@pytest.fixture
def models_env(model_dir, monkeypatch):
    monkeypatch.setenv("DSAE_MODELS", str(model_dir))
    return model_dir


@pytest.fixture
def clip():
    """A small moving RGB clip: 11 frames of 37x21 (odd size, short last segment)."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (37, 21, 3), dtype=np.uint8)
    return np.stack([np.roll(base, t, axis=1) for t in range(11)])
