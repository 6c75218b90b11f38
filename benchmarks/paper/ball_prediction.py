"""Seed Fig. 7 and 8 (DSAE §4.3): stochastic vs deterministic dynamics on the bouncing ball (T = 30).

Each model observes the first t frames and predicts the remaining 30 - t with its own dynamics:
  DSAE     f_hat from q(f | x_1:t), z_hat_1:t from the encoder (the codec's quantised latents at the best
           quality), then z_t+1:T rolled out with the prior p(z_t | z_<t): its mean ("mean"), or K samples
           from which the one with the fewest wrong pixels is kept ("best of K", an oracle choice)
  LSTM-f/c f_hat and the global z_hat from q over the observed frames only, then the deterministic
           h_1:T over all 30 steps
Metric: fraction of wrong pixels (both binarised at 0.5 on [0, 1]) over the missing frames, against the
number of missing frames (the seed's); as a check that cannot be won by drawing nothing, also the IoU of
the binarised masks. References: an all-black prediction and the last observed frame held.

    python -m benchmarks.paper.ball_prediction [--n 256] [--samples 8] [--models dsae-bouncing-ball,...]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from codec.models import available  # noqa: E402
from dsae.model import DSAE  # noqa: E402

from . import common  # noqa: E402
from .metrics import mask_iou, wrong_pixels  # noqa: E402

MODELS = ("dsae-bouncing-ball", "lstm-f-bouncing-ball", "lstm-c-bouncing-ball")
T = 30


@torch.no_grad()
def predict(m, x: torch.Tensor, t_obs: int, samples: int = 0, g: torch.Generator | None = None) -> torch.Tensor:
    """x (B, T, C, H, W) -> predictions (1 + samples, B, T, C, H, W) in [0, 1]; only x[:, :t_obs] is read.

    Row 0 is the deterministic prediction (the prior mean for the DSAE); rows 1.. are DSAE prior samples.
    """
    T = x.shape[1]
    c = common.coded(m, x[:, :t_obs])
    if not isinstance(m.model, DSAE):
        return common.decode(m, c.f_hat, m.model.dynamics(c.z_hat, T))[None]
    prior_step = m.model.prior_step
    z_prev, state = torch.zeros_like(c.z_hat[:, 0]), None
    for t in range(t_obs):  # teacher-force the prior through the observed z_hat_1:t
        _, _, state = prior_step(z_prev, state)
        z_prev = c.z_hat[:, t]
    outs = []
    for k in range(1 + samples):
        zp, st, zs = z_prev, state, [c.z_hat]
        for _ in range(t_obs, T):
            mu, sigma, st = prior_step(zp, st)
            zp = mu if k == 0 else mu + sigma * torch.randn(mu.shape, generator=g)
            zs.append(zp[:, None])
        outs.append(common.decode(m, c.f_hat, torch.cat(zs, 1)))
    return torch.stack(outs)


def scores(pred: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Per sequence, over the missing frames: wrong-pixel fraction and mask IoU; (..., k, H, W) -> (...)."""
    return {"wrong": wrong_pixels(pred, truth).mean(-1), "iou": mask_iou(pred, truth).mean(-1)}


def curve(m, frames: np.ndarray, missing: list[int], samples: int, seed: int, batch: int = 64) -> dict:
    """metric -> variant ("mean", and "best" with samples) -> value per number of missing frames."""
    g = torch.Generator().manual_seed(seed)
    res = {k: {v: [] for v in (("mean", "best") if samples else ("mean",))} for k in ("wrong", "iou")}
    for k in missing:
        t_obs = T - k
        acc = {key: {v: [] for v in d} for key, d in res.items()}
        for a, b in common.batches(len(frames), batch):
            x = common.to_model(frames[a:b])
            p = predict(m, x, t_obs, samples, g)[:, :, t_obs:, 0].numpy()  # (1+K, B, k, H, W)
            sc = scores(p, np.broadcast_to(x[None, :, t_obs:, 0].numpy(), p.shape))  # each (1+K, B)
            for key in sc:
                acc[key]["mean"].append(sc[key][0])
            if samples:  # the sample with the fewest wrong pixels, per sequence (oracle)
                pick = 1 + sc["wrong"][1:].argmin(0)
                for key in sc:
                    acc[key]["best"].append(np.take_along_axis(sc[key], pick[None], 0)[0])
        for key, d in acc.items():
            for v, parts in d.items():
                res[key][v].append(float(np.concatenate(parts).mean()))
    return res


def references(frames: np.ndarray, missing: list[int]) -> dict:
    """The same metrics for an all-black prediction and for the last observed frame held."""
    x = frames[..., 0].astype(np.float32) / 255.0  # (N, T, H, W)
    res = {key: {"all black": [], "last frame held": []} for key in ("wrong", "iou")}
    for k in missing:
        truth = x[:, T - k:]
        for label, pred in (("all black", np.zeros_like(truth)),
                            ("last frame held", np.repeat(x[:, T - k - 1:T - k], k, axis=1))):
            for key, v in scores(pred, truth).items():
                res[key][label].append(float(v.mean()))
    return res


def overlay(seq: np.ndarray, t_obs: int) -> np.ndarray:
    """Fig. 7 style: (T, H, W) in [0, 1] -> RGB; observed frames white, predicted frames coloured by time."""
    cmap = plt.get_cmap("plasma")
    img = np.zeros(seq.shape[1:] + (3,))
    for t in range(len(seq)):
        colour = np.ones(3) if t < t_obs else np.array(cmap(0.15 + 0.85 * (t - t_obs) / max(1, T - t_obs - 1))[:3])
        img = np.maximum(img, seq[t][..., None] * colour * (0.55 if t < t_obs else 1.0))
    return img


def fig7(models: dict, frames: np.ndarray, t_obs: int, path, seed: int) -> None:
    x = common.to_model(frames)
    cols = [("data", x[:, :, 0].numpy())]
    for name, m in models.items():
        p = predict(m, x, t_obs, samples=1 if isinstance(m.model, DSAE) else 0,
                    g=torch.Generator().manual_seed(seed))
        label = name.replace("-bouncing-ball", "")
        cols.append((f"{label} (mean)" if len(p) > 1 else label, p[0, :, :, 0].numpy()))
        if len(p) > 1:
            cols.append((f"{label} (a sample)", p[1, :, :, 0].numpy()))
    n = len(frames)
    fig, axes = plt.subplots(n, len(cols), figsize=(2.1 * len(cols), 2.1 * n + 0.5), dpi=100, squeeze=False)
    for i in range(n):
        for j, (label, seqs) in enumerate(cols):
            axes[i, j].imshow(overlay(seqs[i], t_obs), interpolation="nearest")
            axes[i, j].set_xticks([]), axes[i, j].set_yticks([])
            if i == 0:
                axes[i, j].set_title(label, fontsize=9)
    fig.suptitle(f"first {t_obs} frames observed (grey), frames {t_obs + 1}-{T} predicted "
                 "(colour: early = purple, late = yellow)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def fig8(missing, curves: dict, path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), dpi=100)
    names = {"wrong": "wrong pixels over the missing frames (%)", "iou": "mask IoU over the missing frames (%)"}
    for ax, (key, ylabel) in zip(axes, names.items()):
        for i, (label, ys) in enumerate(curves[key].items()):
            ref = label in ("all black", "last frame held")
            ax.plot(missing, 100 * np.asarray(ys), ":" if ref else "-", marker=None if ref else "o", ms=3,
                    color="grey" if label == "all black" else f"C{i}", label=label)
        ax.set(xlabel="number of missing frames", ylabel=ylabel)
        ax.grid(alpha=0.3)
    axes[0].set_title("Fig. 8 metric: lower is better (binarised at 0.5)", fontsize=10)
    axes[1].set_title("overlap with the true ball: higher is better (blank = 0)", fontsize=10)
    axes[1].legend(fontsize=8)
    fig.suptitle("bouncing ball: predicting the rest of a 30-frame sequence from its first frames", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS), help="names or .safetensors paths, comma-separated")
    ap.add_argument("--n", type=int, default=256, help="test sequences")
    ap.add_argument("--samples", type=int, default=8, help="DSAE prior samples for best-of-K (0: mean only)")
    ap.add_argument("--max-missing", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(common.RESULTS), help="output folder")
    args = ap.parse_args(argv)
    common.setup()
    timer = common.Timer()
    from codec.datasets import load

    have = available()
    wanted = [s for s in args.models.split(",") if s]
    absent = [s for s in wanted if s not in have and not Path(s).is_file()]
    models = {m.cfg.name: m for m in (common.load_model(s) for s in wanted if s not in absent)}
    if not models:
        raise SystemExit(f"error: none of {', '.join(wanted)} is installed")
    frames = load("bouncing-ball", "test")["frames"][:args.n]
    missing = list(range(1, args.max_missing + 1))
    curves, info = {"wrong": {}, "iou": {}}, {}
    for name, m in models.items():
        c = curve(m, frames, missing, args.samples if isinstance(m.model, DSAE) else 0, args.seed)
        label = name.replace("-bouncing-ball", "")
        for key in curves:
            curves[key][f"{label} (prior mean)" if isinstance(m.model, DSAE) else label] = c[key]["mean"]
            if "best" in c[key]:
                curves[key][f"{label} (best of {args.samples} samples, oracle)"] = c[key]["best"]
        info[name] = common.model_line(m)
    for key, refs in references(frames, missing).items():
        curves[key].update(refs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig8(missing, curves, out / "fig8_ball_wrong_pixels.png")
    fig7(models, frames[:4], 10, out / "fig7_ball_trajectories.png", args.seed)
    cmd = "python -m benchmarks.paper.ball_prediction " + " ".join(sys.argv[1:] if argv is None else argv)
    show = [k for k in (1, 3, 5, 10, 15, 20, 25) if k in missing]
    head = ["prediction"] + [f"{k} missing" for k in show]

    def table(key):
        return common.md_table(head, [[label] + [f"{100 * ys[k - 1]:.2f}%" for k in show]
                                      for label, ys in curves[key].items()])
    md = "\n".join([
        "# Fig. 7 and 8 replica: bouncing ball, stochastic vs deterministic", "",
        f"Command: `{cmd.strip()}`  ", f"Machine: {common.machine()}; runtime {timer}.  ",
        f"Data: the first {len(frames)} bouncing-ball test sequences (T = 30, 32x32).  ",
        "Models: " + "; ".join(info.values()) + "."
        + (f"  \n**Missing (not installed when this ran): {', '.join(absent)}.**" if absent else ""), "",
        "Wrong pixels (binarised at 0.5) over the missing frames, by number of missing frames (seed Fig. 8):",
        "", table("wrong"), "",
        "Mask IoU of the binarised prediction and truth over the missing frames (higher is better; a blank "
        "frame scores 0, so a model cannot win by drawing nothing):", "", table("iou"), "",
        "The ball covers about 3% of a frame, so an all-black prediction scores about 3% and a ball drawn in the "
        "wrong place about 6%: below the 'all black' line a model is tracking the ball. "
        "'best of K' keeps, per sequence, the prior sample with the fewest wrong pixels (it looks at the truth).", "",
        "Figures: [fig8_ball_wrong_pixels.png](fig8_ball_wrong_pixels.png), "
        "[fig7_ball_trajectories.png](fig7_ball_trajectories.png)", ""])
    (out / "fig78_ball.md").write_text(md)
    (out / "fig78_ball.json").write_text(json.dumps({"missing": missing, "curves": curves, "models": info,
                                                     "absent": absent, "n": len(frames)}, indent=2) + "\n")
    print(md)


if __name__ == "__main__":
    main()
