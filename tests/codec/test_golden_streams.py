"""Golden codec streams (format 1.0): committed .bin files of tiny models must decode bit-exactly, forever.

tests/data/golden/v1/ holds three tiny models (tinymodels' config, narrowed, seed 0), four streams and
manifest.json with the SHA-256 of every file and of each decoded clip (uint8 (N, H, W, 3), C order).
Models are loaded by path, never through $DSAE_MODELS.

Regenerate only with a format-version bump (FORMAT.md §6):  DSAE_REGEN_GOLDEN=1 pytest tests/codec -k golden
"""
import dataclasses
import hashlib
import json
import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from bitstream import unpack
from codec import api
from codec.models import get_model

GOLDEN = Path(__file__).parents[1] / "data" / "golden" / "v1"
MODELS = {"golden-dsae-factorised": ("dsae", "factorised"), "golden-dsae-full": ("dsae", "full"),
          "golden-lstm-c": ("lstm-c", "factorised")}
# file -> (model, frames (N, H, W), fps, quality, fit)
STREAMS = {
    "rgb16-dsae-factorised.bin": ("golden-dsae-factorised", (4, 16, 16), Fraction(25), 3, False),
    "rgb16-dsae-full.bin": ("golden-dsae-full", (8, 16, 16), Fraction(30000, 1001), 1, False),
    "fit-24x20-lstm-c.bin": ("golden-lstm-c", (6, 20, 24), Fraction(12), 2, True),
    "tiled-37x21-dsae-factorised.bin": ("golden-dsae-factorised", (7, 21, 37), Fraction(24), 0, False),
}


def sha256(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def golden_clip(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth moving pattern with noise, (n, h, w, 3) uint8."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    frames = []
    for t in range(n):
        base = 128 + 60 * np.sin((x + 2 * t) / 3.0)[..., None] * np.array([1.0, 0.5, -0.7])
        frames.append(base + 40 * np.cos((y - t) / 4.0)[..., None] + rng.normal(0, 8, (h, w, 3)))
    return np.clip(np.round(frames), 0, 255).astype(np.uint8)


def regenerate(d: Path = GOLDEN) -> None:
    """Rebuild models, streams and manifest. Only for a new format version."""
    import sys
    sys.path.insert(1, str(Path(__file__).parents[1]))
    from tinymodels import tiny_config

    from codec.weights import save_weights
    from dsae.baselines import build_model

    d.mkdir(parents=True, exist_ok=True)
    manifest = {"format": "1.0", "decode": "codec.api.decode_bytes on CPU; frames_sha256 over frames.tobytes()",
                "models": {}, "streams": {}}
    for name, (kind, q) in MODELS.items():
        cfg = dataclasses.replace(tiny_config(kind, q, name=name), conv=(4, 8), feat_dim=8, hidden=8)
        torch.manual_seed(0)
        path = d / f"{name}.safetensors"
        manifest["models"][name] = {"file": path.name, "sha256": save_weights(build_model(cfg), path)}
    for i, (fname, (name, (n, h, w), fps, quality, fit)) in enumerate(STREAMS.items()):
        m = get_model(str(d / f"{name}.safetensors"))
        data = api.encode_frames(golden_clip(n, h, w, seed=i), fps, model=m, quality=quality, fit=fit)
        (d / fname).write_bytes(data)
        frames = api.decode_bytes(data, model=m).frames
        manifest["streams"][fname] = {"model": name, "bin_sha256": sha256(data), "shape": list(frames.shape),
                                      "fps": f"{fps.numerator}/{fps.denominator}",
                                      "frames_sha256": sha256(np.ascontiguousarray(frames).tobytes())}
    (d / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="module")
def manifest():
    if os.environ.get("DSAE_REGEN_GOLDEN") == "1":
        regenerate()
    return json.loads((GOLDEN / "manifest.json").read_text())


def test_golden_files_are_unchanged(manifest):
    assert set(manifest["streams"]) == set(STREAMS) and set(manifest["models"]) == set(MODELS)
    for name, info in manifest["models"].items():
        assert sha256((GOLDEN / info["file"]).read_bytes()) == info["sha256"], name
    for fname, info in manifest["streams"].items():
        data = (GOLDEN / fname).read_bytes()
        assert sha256(data) == info["bin_sha256"], f"{fname} was modified"
        header, _ = unpack(data)
        assert header.model == info["model"]
        assert manifest["models"][info["model"]]["sha256"].startswith(header.weights_sha256)


@pytest.mark.parametrize("fname", sorted(STREAMS))
def test_golden_stream_decodes_bit_exactly(manifest, fname):
    info = manifest["streams"][fname]
    m = get_model(str(GOLDEN / manifest["models"][info["model"]]["file"]))
    video = api.decode_bytes((GOLDEN / fname).read_bytes(), device="cpu", model=m)
    assert list(video.frames.shape) == info["shape"] and video.frames.dtype == np.uint8
    assert f"{video.fps.numerator}/{video.fps.denominator}" == info["fps"]
    assert sha256(np.ascontiguousarray(video.frames).tobytes()) == info["frames_sha256"], \
        f"{fname} no longer decodes bit-exactly: the decoder changed (a format change needs a version bump)"
