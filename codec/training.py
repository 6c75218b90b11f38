"""Training glue: datasets from the cache (or the user's videos), presets, checkpoints and shipped weights.

`dsae-codec train` calls `run_training`. It resumes from `<out>/checkpoint.safetensors` when present,
checkpoints every few minutes, and at the end writes the shippable fp16 weights with their coding state.
Under `torchrun --nproc_per_node N` it uses DistributedDataParallel (gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist

from dsae.baselines import build_model
from dsae.config import ModelConfig, TrainConfig
from dsae.train import evaluate, train

from . import weights as W

# Per-domain model presets (sized for CPU training; see README "Shipped models").
PRESETS: dict[str, dict] = {
    "bouncing-ball": dict(domain="bouncing-ball", channels=1, height=32, width=32, T=30, conv=(32, 64, 64),
                          feat_dim=128, f_dim=8, z_dim=8, hidden=128,
                          lambdas=(10.0, 30.0, 80.0, 200.0, 500.0)),
    "sprites": dict(domain="sprites", channels=3, height=64, width=64, T=8, conv=(32, 64, 64, 128),
                    feat_dim=256, f_dim=32, z_dim=16, hidden=128,
                    lambdas=(30.0, 80.0, 200.0, 500.0, 1200.0)),
}
BASELINE_Z = {"bouncing-ball": 32, "sprites": 32}  # global z size of LSTM-f / LSTM-c


def preset_config(dataset: str, kind: str = "dsae", q: str = "factorised", name: str | None = None) -> ModelConfig:
    p = dict(PRESETS[dataset])
    if kind != "dsae":
        p["z_dim"] = BASELINE_Z[dataset]
    default = f"{kind}-{dataset}" + ("" if q == "factorised" else "-fullq")
    return ModelConfig(name=name or default, kind=kind, q=q, **p)


def load_frames(dataset: str | None, data_dir: str | None, cfg: ModelConfig, n_test: int = 128, seed: int = 0):
    """(train, test) uint8 arrays (N, T, H, W, C) from the dataset cache or a folder of videos."""
    if data_dir:
        from .datasets import VideoFolderDataset
        ds = VideoFolderDataset(data_dir, T=cfg.T, size=(cfg.height, cfg.width), mode="crop",
                                gray=cfg.channels == 1)
        clips = ds.clips(2000 + n_test, seed=seed)
        return clips[n_test:], clips[:n_test]
    from .datasets import load
    tr, te = load(dataset, "train")["frames"], load(dataset, "test")["frames"]
    return tr, te[:n_test]


def _init_distributed() -> tuple[int, int]:
    if "RANK" in os.environ and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and os.environ.get("DSAE_BACKEND") != "gloo" else "gloo"
        dist.init_process_group(backend)
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def run_training(cfg: ModelConfig, tcfg: TrainConfig, out_dir: str | Path, dataset: str | None = None,
                 data_dir: str | None = None, device: str = "cpu", ship_to: str | Path | None = None,
                 log: Callable[[str], None] = print, progress: Callable[[int], None] | None = None,
                 frames: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Trains (resuming if a checkpoint exists) and writes weights; returns the final evaluation."""
    rank, world = _init_distributed()
    if world > 1 and device == "cuda":
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    torch.manual_seed(tcfg.seed + rank)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt = out_dir / "checkpoint.safetensors"
    train_x, test_x = frames if frames is not None else load_frames(dataset, data_dir, cfg)
    start, opt, model = 0, None, None
    if ckpt.is_file():
        model, opt, start, extra = W.load_checkpoint(ckpt)
        if model.cfg != cfg:
            raise ValueError(f"checkpoint {ckpt} was made with another config; remove it or pick another --out")
        log(f"resuming {cfg.name} from step {start}")
        elapsed0 = float(extra.get("elapsed_s", 0.0))
    else:
        model = build_model(cfg)
        elapsed0 = 0.0
    model.to(device)
    if opt is not None:  # move Adam state to the device
        for st in opt.state.values():
            for k, v in st.items():
                if torch.is_tensor(v) and k != "step":
                    st[k] = v.to(device)
    t0 = time.time()

    def save(step, m, o, evals):
        W.save_checkpoint(ckpt, m, o, step, {"elapsed_s": elapsed0 + time.time() - t0, "evals": evals[-1:]})

    evals = train(model, tcfg, train_x, test_x, device=device, start_step=start, optimizer=opt,
                  save=save, log=log, progress=progress)
    result = {"config": cfg.to_dict(), "train": tcfg.to_dict(), "steps": min(tcfg.stop_at or tcfg.steps, tcfg.steps),
              "train_seconds": round(elapsed0 + time.time() - t0, 1), "world_size": world,
              "machine": f"{platform.machine()} {os.cpu_count()} cpus, device {device}",
              "torch": torch.__version__}
    if rank == 0:
        final = evals[-1]["rows"] if evals else evaluate(model, test_x, device)
        result["eval"] = final
        if ship_to:
            ship = Path(ship_to)
            digest = W.save_weights(model.cpu(), ship, info={"training": result})
            result["sha256"] = digest
            log(f"wrote {ship} (sha256 {digest[:16]})")
        (out_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    if dist.is_initialized():
        dist.barrier()
    return result
