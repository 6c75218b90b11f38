"""Tiny, randomly initialised models for fast CPU tests."""
from __future__ import annotations

import torch

from dsae.baselines import build_model
from dsae.config import ModelConfig


def tiny_config(kind="dsae", q="factorised", channels=3, size=16, T=4, name=None) -> ModelConfig:
    return ModelConfig(name=name or f"tiny-{kind}-{q}", kind=kind, q=q, domain="test", channels=channels,
                       height=size, width=size, T=T, conv=(8, 16), feat_dim=32, f_dim=4, z_dim=3, hidden=16,
                       n_quality=4, lambdas=(50.0, 100.0, 200.0, 400.0), step_init=(2.0, 1.0, 0.5, 0.25))


def tiny_model(kind="dsae", q="factorised", seed=0, **kw):
    torch.manual_seed(seed)
    return build_model(tiny_config(kind, q, **kw))
