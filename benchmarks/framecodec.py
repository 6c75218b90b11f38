"""A frame-by-frame neural image codec baseline: compressai's bmshj2018 scale hyperprior (Ballé et al. 2018).

Each frame is coded on its own (no temporal model) by `compressai.models.ScaleHyperprior(N, M)`, trained on
the same training frames as our models with loss = bpp + lmbda * MSE on [0, 1] pixels (the DSAE's convention,
so lambdas compare). One model per lmbda. Real bytes come from compressai's own `update()` +
`compress()/decompress()` (its rANS coder): the y and z strings of every frame, nothing else (the frame size
is known to the decoder). Frames are edge-padded to a multiple of 64 px (the hyperprior needs it) and cropped.

    python -m benchmarks.framecodec train --dataset sprites --lmbda 300 --steps 3000 \\
        --out benchmarks/weights/framecodec-sprites-l300.safetensors
    python -m benchmarks.framecodec evaluate --weights benchmarks/weights/framecodec-sprites-l300.safetensors

Training resumes from `<out>.ckpt` (fp32 weights + Adam state, safetensors) and ends by writing fp16
safetensors plus a JSON sidecar. No pickle anywhere.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
with warnings.catch_warnings():  # compressai's import-time torch.jit.script deprecation notice
    warnings.simplefilter("ignore", FutureWarning)
    from compressai.models import ScaleHyperprior
    from compressai.models.utils import conv, deconv
from safetensors import safe_open
from safetensors.torch import save_file

from codec.weights import atomic_write, sha256_file

FORMAT = "dsae-bench-framecodec-1"
PAD = 64                                                  # g_a (/16) then h_a (/4)
_SKIP = ("_quantized_cdf", "_offset", "_cdf_length", "scale_table")  # rebuilt by update()


@dataclass
class FrameCodecConfig:
    dataset: str = "sprites"    # training frames: codec.datasets.load(dataset, "train")
    lmbda: float = 300.0        # loss = bpp + lmbda * MSE (pixels in [0, 1])
    channels: int = 3           # 3 RGB, 1 grey (first conv / last deconv resized)
    N: int = 64                 # hyperprior channels (compressai's N)
    M: int = 96                 # latent channels (compressai's M)
    steps: int = 3000           # optimisation steps
    batch: int = 32             # frames per step
    lr: float = 5e-4            # Adam, cosine-decayed to lr / 10
    aux_lr: float = 1e-3        # Adam on the EntropyBottleneck quantiles
    ckpt_every: int = 200       # steps between resumable checkpoints
    seed: int = 0


def build(cfg: FrameCodecConfig) -> ScaleHyperprior:
    m = ScaleHyperprior(cfg.N, cfg.M)
    if cfg.channels != 3:
        m.g_a[0] = conv(cfg.channels, cfg.N)
        m.g_s[-1] = deconv(cfg.N, cfg.channels)
    return m


def _state(m: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in m.state_dict().items() if not k.endswith(_SKIP)}


def _load_state(m: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    missing, unexpected = torch.nn.Module.load_state_dict(m, state, strict=False)
    missing = [k for k in missing if not k.endswith(_SKIP)]
    if missing or unexpected:
        raise ValueError(f"weights do not fit the config (missing {missing[:3]}, unexpected {unexpected[:3]})")


def _pad(x: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = -h % PAD, -w % PAD
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def _to_tensor(frames: np.ndarray, device) -> torch.Tensor:
    """uint8 (B, H, W, C) -> float (B, C, H, W) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0


# ---- training ----

def _save_ckpt(path: Path, cfg, model, opts, step: int, elapsed: float) -> None:
    state = {f"model.{k}": v for k, v in _state(model).items()}
    for name, opt in zip(("opt", "aux"), opts):
        for pid, st in opt.state_dict()["state"].items():
            for k, v in st.items():
                state[f"{name}.{pid}.{k}"] = v.detach().cpu().contiguous() if torch.is_tensor(v) else torch.tensor(v)
    meta = {"format": FORMAT + "-ckpt", "config": json.dumps(asdict(cfg)), "step": str(step),
            "elapsed_s": str(elapsed)}
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata=meta))


def _load_ckpt(path: Path, cfg, model, opts) -> tuple[int, float]:
    with safe_open(str(path), framework="pt") as fo:
        meta, t = fo.metadata(), {k: fo.get_tensor(k) for k in fo.keys()}
    old = json.loads(meta["config"])
    if {k: v for k, v in old.items() if k != "steps"} != {k: v for k, v in asdict(cfg).items() if k != "steps"}:
        raise ValueError(f"checkpoint {path} was made with another config; remove it or pick another --out")
    _load_state(model, {k[6:]: v for k, v in t.items() if k.startswith("model.")})
    for name, opt in zip(("opt", "aux"), opts):
        sd = opt.state_dict()
        for k, v in t.items():
            if k.startswith(name + "."):
                _, pid, key = k.split(".", 2)
                sd["state"].setdefault(int(pid), {})[key] = v
        opt.load_state_dict(sd)
    return int(meta["step"]), float(meta["elapsed_s"])


def train(cfg: FrameCodecConfig, out: str | Path, device: str = "cpu", frames: np.ndarray | None = None,
          log=print) -> dict:
    """Trains (resuming from `<out>.ckpt`), then writes fp16 `out` + `out.json`. frames: uint8 (N, H, W, C)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ckpt = out.with_suffix(".ckpt")
    if frames is None:
        from codec.datasets import load
        seqs = load(cfg.dataset, "train")["frames"]                  # (N, T, H, W, C)
        frames = seqs.reshape(-1, *seqs.shape[2:])                    # (N*T, H, W, C)
    if frames.shape[-1] != cfg.channels:
        raise ValueError(f"frames have {frames.shape[-1]} channels, config says {cfg.channels}")
    torch.manual_seed(cfg.seed)
    model = build(cfg).to(device).train()
    main = [p for n, p in model.named_parameters() if not n.endswith("quantiles")]
    aux = [p for n, p in model.named_parameters() if n.endswith("quantiles")]
    opts = (torch.optim.Adam(main, lr=cfg.lr), torch.optim.Adam(aux, lr=cfg.aux_lr))
    start, elapsed0 = _load_ckpt(ckpt, cfg, model, opts) if ckpt.is_file() else (0, 0.0)
    if start:
        log(f"resuming from step {start}")
    rng = np.random.default_rng(cfg.seed * 1000 + start)
    t0 = time.time()
    for step in range(start, cfg.steps):
        lr = cfg.lr / 10 + 0.45 * cfg.lr * (1 + math.cos(math.pi * step / max(cfg.steps, 1)))
        for g in opts[0].param_groups:
            g["lr"] = lr
        x = _pad(_to_tensor(frames[rng.integers(0, len(frames), cfg.batch)], device))
        out_ = model(x)
        npix = x.shape[0] * x.shape[2] * x.shape[3]
        bpp = sum(-l.log2().sum() for l in out_["likelihoods"].values()) / npix
        mse = F.mse_loss(out_["x_hat"], x)
        loss = bpp + cfg.lmbda * mse
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(main, 1.0)
        opts[0].step()
        aux_loss = model.aux_loss()
        aux_loss.backward()
        opts[1].step()
        done = step + 1
        if done % 50 == 0 or done == cfg.steps:
            log(f"step {done} loss {loss.item():.4f} bpp {bpp.item():.4f} psnr {-10 * math.log10(mse.item()):.2f} "
                f"aux {aux_loss.item():.1f} ({time.time() - t0:.0f}s)")
        if done % cfg.ckpt_every == 0 or done == cfg.steps:
            _save_ckpt(ckpt, cfg, model, opts, done, elapsed0 + time.time() - t0)
    info = {"steps": cfg.steps, "train_seconds": round(elapsed0 + time.time() - t0, 1), "device": device,
            "frames_seen": cfg.steps * cfg.batch, "torch": torch.__version__}
    return {"sha256": save(model, cfg, out, info), **info}


def save(model: ScaleHyperprior, cfg: FrameCodecConfig, path: Path, info: dict) -> str:
    state = {k: v.half() if v.is_floating_point() else v for k, v in _state(model).items()}
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata={"format": FORMAT,
                                                                    "config": json.dumps(asdict(cfg))}))
    digest = sha256_file(path)
    side = {"format": FORMAT, "file": path.name, "sha256": digest, "config": asdict(cfg), "training": info}
    atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(side, indent=2) + "\n"))
    return digest


def load(path: str | Path, device: str = "cpu") -> tuple[ScaleHyperprior, FrameCodecConfig]:
    """fp16 weights -> float model with compressai's CDF tables built by `update(force=True)`."""
    with safe_open(str(path), framework="pt") as fo:
        meta = fo.metadata() or {}
        t = {k: fo.get_tensor(k) for k in fo.keys()}
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} file")
    cfg = FrameCodecConfig(**json.loads(meta["config"]))
    model = build(cfg)
    _load_state(model, {k: v.float() if v.is_floating_point() else v for k, v in t.items()})
    model.update(force=True)
    return model.to(device).eval(), cfg


# ---- evaluation with real bytes ----

@torch.no_grad()
def evaluate(model: ScaleHyperprior, seqs: np.ndarray, device: str = "cpu", batch: int = 64) -> dict:
    """seqs uint8 (N, T, H, W, C) -> recon, real bytes (y + z strings of every frame), estimate, times."""
    N, T, H, W, C = seqs.shape
    frames = seqs.reshape(N * T, H, W, C)
    recon = np.empty_like(frames)
    nbytes, est, enc_s, dec_s = 0, 0.0, 0.0, 0.0
    for a in range(0, len(frames), batch):
        x = _pad(_to_tensor(frames[a:a + batch], device))
        sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
        t0 = time.perf_counter()
        c = model.compress(x)
        sync()
        t1 = time.perf_counter()
        x_hat = model.decompress(c["strings"], c["shape"])["x_hat"]
        sync()
        t2 = time.perf_counter()
        enc_s, dec_s = enc_s + t1 - t0, dec_s + t2 - t1
        nbytes += sum(len(s) for strings in c["strings"] for s in strings)
        lik = model(x)["likelihoods"]
        est += float(sum(-l.log2().sum() for l in lik.values()))
        img = (x_hat[..., :H, :W].clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        recon[a:a + batch] = img
    return {"recon": recon.reshape(seqs.shape), "bytes": nbytes, "bits_estimate": est,
            "encode_s": enc_s, "decode_s": dec_s}


def _cli(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.framecodec", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train one model per lambda (resumable)")
    t.add_argument("--dataset", default="sprites", choices=("sprites", "bouncing-ball"))
    t.add_argument("--lmbda", type=float, required=True, help="loss = bpp + lmbda * MSE on [0, 1] pixels")
    t.add_argument("--steps", type=int, default=3000, help="total steps (a resumed run continues to this)")
    t.add_argument("--batch", type=int, default=32, help="frames per step")
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument("--N", type=int, default=64)
    t.add_argument("--M", type=int, default=96)
    t.add_argument("--out", required=True, help="fp16 .safetensors to write (checkpoint: <out>.ckpt)")
    t.add_argument("--device", default="cpu")
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    e = sub.add_parser("evaluate", help="real bytes and PSNR on test sequences")
    e.add_argument("--weights", required=True)
    e.add_argument("--n", type=int, default=64, help="test sequences")
    e.add_argument("--device", default="cpu")
    a = p.parse_args(argv)
    if getattr(a, "threads", 0):
        torch.set_num_threads(a.threads)
    try:
        if a.cmd == "train":
            cfg = FrameCodecConfig(dataset=a.dataset, lmbda=a.lmbda, steps=a.steps, batch=a.batch, lr=a.lr,
                                   N=a.N, M=a.M, channels=1 if a.dataset == "bouncing-ball" else 3)
            res = train(cfg, a.out, a.device, log=lambda s: print(s, file=sys.stderr, flush=True))
        else:
            from codec.datasets import load as load_ds
            from codec.metrics import psnr
            model, cfg = load(a.weights, a.device)
            seqs = load_ds(cfg.dataset, "test")["frames"][: a.n]
            r = evaluate(model, seqs, a.device)
            pix = seqs.shape[0] * seqs.shape[1] * seqs.shape[2] * seqs.shape[3]
            res = {"lmbda": cfg.lmbda, "bpp": 8 * r["bytes"] / pix, "estimate_bpp": r["bits_estimate"] / pix,
                   "psnr": psnr(r["recon"], seqs), "encode_fps": seqs.shape[0] * seqs.shape[1] / r["encode_s"],
                   "decode_fps": seqs.shape[0] * seqs.shape[1] / r["decode_s"]}
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
