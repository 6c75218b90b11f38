"""DistributedDataParallel: 2 CPU processes with gloo train a tiny model and stay in sync."""
import json
import os
import socket

import numpy as np
import torch
import torch.multiprocessing as mp

from tinymodels import tiny_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank), DSAE_BACKEND="gloo")
    torch.set_num_threads(1)
    import torch.distributed as dist

    import dsae.train as T
    from codec.training import run_training
    from dsae.config import TrainConfig

    seen = {}
    orig = T.train

    def spy(model, *a, **k):
        r = orig(model, *a, **k)
        seen["params"] = torch.cat([p.detach().flatten() for p in model.parameters()])
        return r
    T.train = spy
    import codec.training as ct
    ct.train = spy
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (16, 4, 16, 16, 3), dtype=np.uint8)
    tcfg = TrainConfig(steps=6, batch=2, eval_every=6, ckpt_every=3)
    run_training(tiny_config(), tcfg, out, frames=(frames, frames[:4]), log=lambda s: None)
    np.save(os.path.join(out, f"params{rank}.npy"), seen["params"].numpy())
    dist.destroy_process_group()


def test_two_process_gloo_training(tmp_path):
    port = _free_port()
    out = tmp_path / "run"
    mp.spawn(_worker, args=(2, port, str(out)), nprocs=2, join=True)
    result = json.loads((out / "result.json").read_text())
    assert result["world_size"] == 2 and result["steps"] == 6
    assert (out / "checkpoint.safetensors").is_file()
    p0, p1 = np.load(out / "params0.npy"), np.load(out / "params1.npy")
    assert np.array_equal(p0, p1), "ranks diverged"
