"""Seed Fig. 3 and 4 (DSAE §4.1): reconstructions, conditional generation, content swap, prior samples,
and what the judge sees in 5 x 200 samples with a shared f or a shared z_1:T.

All latents of test sequences are the codec's quantised f_hat, z_hat_1:T at the best quality; sampled z_1:T
come from the LSTM prior, sampled f from the exported integer pmf of p(f) (codec.synth.sample_f).

    python -m benchmarks.paper.panels [--model dsae-sprites] [--groups 5] [--samples 200] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from codec.synth import generate, grid, sample_f  # noqa: E402
from dsae.data.sprites import ACTIONS, ATTRIBUTES, N_VARIANTS  # noqa: E402

from . import classifier, common  # noqa: E402
from .metrics import class_entropy, mode_fraction  # noqa: E402


def show_rows(rows: list[tuple[str, np.ndarray]], title: str, path, scale: float = 1.6) -> None:
    """Labelled frame grid: rows of (label, uint8 (T, H, W, 3)) -> PNG."""
    img = grid(np.stack([r[1] for r in rows]))
    n, T, H = len(rows), rows[0][1].shape[0], rows[0][1].shape[1]
    fig, ax = plt.subplots(figsize=(scale * T * 0.75 + 2.2, scale * n * 0.75 + 0.6), dpi=100)
    ax.imshow(img, interpolation="nearest")
    ax.set_yticks([2 + i * (H + 2) + H / 2 for i in range(n)], [r[0] for r in rows], fontsize=9)
    ax.set_xticks([2 + t * (H + 2) + H / 2 for t in range(T)], [f"t={t + 1}" for t in range(T)], fontsize=8)
    ax.tick_params(length=0)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def describe(d: dict, i: int) -> str:
    return f"#{i} {ACTIONS[d['action'][i]]}"


@torch.no_grad()
def conditional_panels(m, d: dict, idx: list[int], out, seed: int) -> list:
    """Fig. 3: reconstruction, fix-f (z ~ prior), fix-z (f ~ p(f)), content swap."""
    rng, g = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    q = common.best_quality(m)
    x = common.to_model(d["frames"][idx])
    c = common.coded(m, x)
    data, recon = common.to_uint8(x), common.to_uint8(c.x_hat)
    name, T = m.cfg.name, x.shape[1]
    paths = [out / f"fig3_reconstruction_{name}.png", out / f"fig3_fix_f_{name}.png",
             out / f"fig3_fix_z_{name}.png", out / f"fig3_swap_{name}.png"]
    rows = []
    for k, i in enumerate(idx):
        rows += [(f"data {describe(d, i)}", data[k]), ("reconstruction", recon[k])]
    show_rows(rows, f"{name}: test data and its coded reconstruction (quality {q})", paths[0])
    rows = []
    for k, i in enumerate(idx[:2]):
        z = m.model.sample_z(3, T, generator=g)
        gen = common.to_uint8(common.decode(m, c.f_hat[k:k + 1].expand(3, -1), z))
        rows += [(f"data {describe(d, i)}", data[k])] + [(f"f of #{i}, z ~ prior", s) for s in gen]
    show_rows(rows, f"{name}: f from the encoder, z_1:T sampled from the prior", paths[1])
    rows = []
    for k, i in enumerate(idx[:2]):
        f = sample_f(m, 3, q, rng)
        gen = common.to_uint8(common.decode(m, f, c.z_hat[k:k + 1].expand(3, -1, -1)))
        rows += [(f"data {describe(d, i)}", data[k])] + [(f"f ~ p(f), z of #{i}", s) for s in gen]
    show_rows(rows, f"{name}: z_1:T from the encoder, f sampled from p(f)", paths[2])
    rows = []
    for a, b in [(0, 1), (2, 3)]:
        ia, ib = idx[a], idx[b]
        sw = common.to_uint8(common.decode(m, c.f_hat[[a, b]], c.z_hat[[b, a]]))
        rows += [(f"A {describe(d, ia)}", data[a]), (f"B {describe(d, ib)}", data[b]),
                 ("f of A + z of B", sw[0]), ("f of B + z of A", sw[1])]
    show_rows(rows, f"{name}: content swap (codec latents)", paths[3])
    return paths


def prior_panels(m, out, seed: int) -> list:
    """Fig. 3 bottom: samples from the priors with a shared f or a shared z_1:T."""
    paths = []
    for fix in ("f", "z"):
        seqs = generate(m, n=6, fix=fix, seed=seed)
        other = "z_1:T" if fix == "f" else "f"
        p = out / f"fig3_shared_{fix}_{m.cfg.name}.png"
        show_rows([(f"sample {k + 1}", s) for k, s in enumerate(seqs)],
                  f"{m.cfg.name}: one {fix} from the prior shared by all rows, {other} sampled per row", p)
        paths.append(p)
    return paths


@torch.no_grad()
def judge_groups(m, clf, groups: int, samples: int, seed: int, batch: int = 100) -> dict:
    """Predicted classes for `groups` x `samples` generated sequences, shared f or shared z_1:T."""
    rng, g = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    q, T = common.best_quality(m), m.cfg.T
    res = {}
    for fix in ("f", "z"):
        attrs = np.empty((groups, samples, T, len(ATTRIBUTES)), np.int64)
        acts = np.empty((groups, samples), np.int64)
        for gi in range(groups):
            shared_f = sample_f(m, 1, q, rng)
            shared_z = m.model.sample_z(1, T, generator=g)
            for a, b in common.batches(samples, batch):
                n = b - a
                f = shared_f.expand(n, -1) if fix == "f" else sample_f(m, n, q, rng)
                z = shared_z.expand(n, -1, -1) if fix == "z" else m.model.sample_z(n, T, generator=g)
                la, lc = classifier.predict(clf, common.decode(m, f, z))
                attrs[gi, a:b], acts[gi, a:b] = la.argmax(-1), lc.argmax(-1)
        res[fix] = (attrs, acts)
    return res


def judge_figure(res: dict, name: str, path) -> dict:
    """Fig. 4: per-frame entropy of the predicted attributes, and the predicted-action mix per group."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), dpi=100, gridspec_kw={"width_ratios": [1, 1.3]})
    colours = plt.get_cmap("tab10")
    summary = {}
    for fix, style in (("f", "-"), ("z", "--")):
        attrs, acts = res[fix]
        G, S, T, _ = attrs.shape
        h = class_entropy(attrs, N_VARIANTS)  # (G, T, 4) bits
        for j, a in enumerate(ATTRIBUTES):
            ax1.plot(np.arange(1, T + 1), h[:, :, j].mean(0), style, color=colours(j), marker="o", ms=3)
        h_act = class_entropy(acts[..., None], len(ACTIONS))[:, 0]  # (G,)
        summary[fix] = {"attr_entropy_bits": {a: float(h[:, :, j].mean()) for j, a in enumerate(ATTRIBUTES)},
                        "attr_mode_fraction": {a: float(mode_fraction(attrs[..., j]).mean())
                                               for j, a in enumerate(ATTRIBUTES)},
                        "action_entropy_bits": float(h_act.mean()),
                        "action_mode_fraction": float(mode_fraction(acts).mean())}
    ax1.axhline(np.log2(N_VARIANTS), color="grey", ls=":", lw=1)
    ax1.text(1, np.log2(N_VARIANTS) - 0.15, "uniform over 6 classes", fontsize=8, color="grey")
    ax1.set(xlabel="frame t", ylabel="entropy of predicted class over samples (bits)", ylim=(0, 2.8),
            title="attributes per frame (solid: shared f, dashed: shared z)")
    handles = [Line2D([], [], color=colours(j), label=a) for j, a in enumerate(ATTRIBUTES)]
    handles += [Line2D([], [], color="k", ls=ls, label=f"shared {fix}") for fix, ls in (("f", "-"), ("z", "--"))]
    ax1.legend(handles=handles, fontsize=7, ncol=2, loc="center right", handlelength=3)
    # predicted action mix: stacked bars, one per group
    labels, bottom = [], np.zeros(2 * len(res["f"][1]))
    mix = []
    for fix in ("f", "z"):
        acts = res[fix][1]
        for gi in range(len(acts)):
            mix.append(np.bincount(acts[gi], minlength=len(ACTIONS)) / acts.shape[1])
            labels.append(f"{fix}{gi + 1}")
    mix = np.array(mix)  # (2G, 9)
    cm = plt.get_cmap("tab10")
    for k, act in enumerate(ACTIONS):
        ax2.bar(range(len(mix)), mix[:, k], bottom=bottom, color=cm(k), label=act)
        bottom += mix[:, k]
    ax2.set_xticks(range(len(mix)), labels)
    h_f, h_z = summary["f"]["action_entropy_bits"], summary["z"]["action_entropy_bits"]
    ax2.set(ylabel="share of samples", xlabel="group (f1-f5 share one f, z1-z5 share one z_1:T)",
            title=f"predicted action per group: shared f (H={h_f:.2f} bits) vs shared z (H={h_z:.2f} bits)")
    ax2.title.set_fontsize(9)
    ax2.legend(fontsize=7, bbox_to_anchor=(1.01, 1), loc="upper left")
    fig.suptitle(f"{name}: judge on {mix.shape[0] // 2} groups x {len(res['f'][1][0])} samples", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return summary


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="dsae-sprites")
    ap.add_argument("--groups", type=int, default=5)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    common.setup()
    timer = common.Timer()
    from codec.datasets import load

    m = common.load_model(args.model, need_dsae=True)
    d = load("sprites", "test")
    pick = np.random.default_rng(args.seed).choice(len(d["frames"]), 4, replace=False).tolist()
    out = common.RESULTS
    paths = conditional_panels(m, d, pick, out, args.seed) + prior_panels(m, out, args.seed)
    res = judge_groups(m, classifier.load(), args.groups, args.samples, args.seed)
    p4 = out / f"fig4_judge_{m.cfg.name}.png"
    summary = judge_figure(res, m.cfg.name, p4)
    rows = [[f"shared {fix}"] + [f"{s['attr_entropy_bits'][a]:.2f} / {100 * s['attr_mode_fraction'][a]:.0f}%"
                                 for a in ATTRIBUTES]
            + [f"{s['action_entropy_bits']:.2f} / {100 * s['action_mode_fraction']:.0f}%"]
            for fix, s in summary.items()]
    cmd = "python -m benchmarks.paper.panels " + " ".join(sys.argv[1:] if argv is None else argv)
    md = "\n".join([
        f"# Fig. 3 and 4 replica: {args.model}", "", f"Command: `{cmd.strip()}`  ",
        f"Machine: {common.machine()}; runtime {timer}.  ", f"Model: {common.model_line(m)}.", "",
        f"Judge on {args.groups} groups x {args.samples} prior samples: entropy of the predicted class over the "
        "samples of a group (bits; uniform = 2.58 for 6 attribute classes, 3.17 for 9 actions) / share of the "
        "group's most common class, averaged over groups (and frames for the attributes). Fixing f should give "
        "low attribute entropy; fixing z_1:T low action entropy.", "",
        common.md_table(["condition"] + list(ATTRIBUTES) + ["action"], rows), "",
        "Figures: " + ", ".join(f"[{p.name}]({p.name})" for p in paths + [p4]), ""])
    (out / f"fig34_{args.model}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
