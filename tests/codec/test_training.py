"""Training glue: resumable checkpoints, shipped weights, and `dsae-codec train --data DIR`."""
import json
from fractions import Fraction

import numpy as np
from click.testing import CliRunner

from codec.media import write_video
from codec.training import run_training
from codec.weights import load_weights
from dsae.config import TrainConfig
from tinymodels import tiny_config


def test_resume_continues_from_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (8, 4, 16, 16, 3), dtype=np.uint8)
    logs = []
    cfg = tiny_config()
    run_training(cfg, TrainConfig(steps=4, batch=2, ckpt_every=2, eval_every=4), tmp_path,
                 frames=(frames, frames[:2]), log=logs.append)
    r = run_training(cfg, TrainConfig(steps=8, batch=2, ckpt_every=2, eval_every=4), tmp_path,
                     frames=(frames, frames[:2]), log=logs.append, ship_to=tmp_path / "m.safetensors")
    assert any("resuming" in s and "step 4" in s for s in logs)
    assert r["steps"] == 8 and len(r["eval"]) == cfg.n_quality
    m = load_weights(tmp_path / "m.safetensors")
    assert m.sha256 == json.loads((tmp_path / "m.json").read_text())["sha256"] == r["sha256"]


def test_train_cli_on_a_video_folder(tmp_path):
    from tools.cli import main
    vids = tmp_path / "videos"
    vids.mkdir()
    rng = np.random.default_rng(0)
    write_video(vids / "a.mp4", rng.integers(0, 256, (20, 80, 90, 3), dtype=np.uint8), Fraction(25))
    r = CliRunner().invoke(main, ["train", "--data", str(vids), "--steps", "2", "--batch", "2", "--quiet",
                                  "--out", str(tmp_path / "run"), "--ship", str(tmp_path / "own.safetensors")])
    assert r.exit_code == 0, r.output
    assert "quality 0" in r.output
    assert load_weights(tmp_path / "own.safetensors").cfg.name == "dsae-custom"
