"""Seed Table 1 (DSAE §4.1): does fixing f fix the attributes, and fixing z_1:T fix the action?

On every Sprites test sequence x_1:T (296 unseen identities x 9 actions) with the codec's quantised latents
at the best quality (common.coded):
  fix-f   decode(f_hat, z_1:T ~ prior)        the four attributes should match the data's
  fix-z   decode(f ~ p(f), z_hat_1:T)         the action should match the data's
The judge (classifier.py) predicts attributes per frame and the action per sequence, on the data and on
the generated sequences. Reported: disagreement rate, KL[p_gen || p_data] (nats, averaged), and as a
reference KL[p_random || p_data] with p_random the prediction on a different test sequence's data.
Controls: the factor that is *not* fixed should change (attributes under fix-z, action under fix-f).

    python -m benchmarks.paper.table1 [--model dsae-sprites] [--n 2664] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from codec.synth import sample_f
from dsae.data.sprites import ATTRIBUTES

from . import classifier, common
from .metrics import derangement, disagreement, error_rate, kl

# The seed's factorised-q figures as cited in issue #7 (disagreement / error rates).
SEED = {"skin": "3.98%", "pants": "1.82%", "top": "0.34%", "hair": "0.06%", "action": "8.11%"}
FACTORS = ATTRIBUTES + ("action",)


@torch.no_grad()
def predictions(m, clf, frames: np.ndarray, seed: int, batch: int = 64) -> dict[str, tuple]:
    """Classifier log-probs on data, reconstruction, fix-f and fix-z: name -> (attr (N,T,4,6), action (N,9))."""
    rng = np.random.default_rng(seed)
    g = torch.Generator().manual_seed(seed)
    q = common.best_quality(m)
    out: dict[str, list] = {k: [] for k in ("data", "recon", "fix_f", "fix_z")}
    for a, b in common.batches(len(frames), batch):
        x = common.to_model(frames[a:b])  # (B, T, 3, 64, 64)
        c = common.coded(m, x)
        z = m.model.sample_z(b - a, x.shape[1], generator=g)  # (B, T, z_dim) ~ prior
        f = sample_f(m, b - a, q, rng)  # (B, f_dim) ~ p(f)
        gen = {"data": x, "recon": c.x_hat.clamp(0, 1), "fix_f": common.decode(m, c.f_hat, z),
               "fix_z": common.decode(m, f, c.z_hat)}
        for k, v in gen.items():
            out[k].append(classifier.predict(clf, v))
    return {k: tuple(np.concatenate(p) for p in zip(*v)) for k, v in out.items()}


def factor_rows(preds: dict, labels: dict, perm: np.ndarray) -> dict[str, dict]:
    """Per factor: the metrics under each condition; attributes are compared frame by frame."""
    res = {}
    for j, name in enumerate(FACTORS):
        def flat(k, idx=slice(None)):
            la, lc = preds[k]
            if name == "action":
                return lc[idx]
            return la[idx][:, :, j].reshape(-1, la.shape[-1])  # (N*T, 6)
        data = flat("data")
        y = labels[name] if name == "action" else np.repeat(labels[name], preds["data"][0].shape[1])
        rnd = flat("data", perm)
        row = {"classifier_error_on_data": error_rate(data, y),
               "random": {"disagreement": disagreement(rnd, data), "kl": kl(rnd, data)}}
        for k in ("recon", "fix_f", "fix_z"):
            p = flat(k)
            row[k] = {"disagreement": disagreement(p, data), "kl": kl(p, data), "error": error_rate(p, y)}
        res[name] = row
    return res


def pct(v: float) -> str:
    return f"{100 * v:.2f}%"


def markdown(res: dict, meta: dict) -> str:
    head = ["factor", "seed (fact. q)", "ours: fixed → disagreement", "KL[p_gen‖p_data]", "KL[p_random‖p_data]",
            "random seq. disagreement", "other latent fixed → disagreement", "recon. disagreement",
            "judge error on data"]
    rows = []
    for name in FACTORS:
        r = res[name]
        fixed, other = ("fix_z", "fix_f") if name == "action" else ("fix_f", "fix_z")
        rows.append([f"{name} ({'fix-z' if name == 'action' else 'fix-f'})", SEED[name],
                     pct(r[fixed]["disagreement"]), f"{r[fixed]['kl']:.3f}", f"{r['random']['kl']:.3f}",
                     pct(r["random"]["disagreement"]), pct(r[other]["disagreement"]),
                     pct(r["recon"]["disagreement"]), pct(r["classifier_error_on_data"])])
    return "\n".join([
        f"# Table 1 replica: {meta['model']}", "",
        f"Command: `{meta['command']}`  ", f"Machine: {meta['machine']}; runtime {meta['runtime']}.  ",
        f"Model: {meta['model_line']}; latents: the codec's own quantised f_hat, z_hat_1:T at quality "
        f"{meta['quality']} (code_sequences + RecordingChannel); sampled z_1:T from the LSTM prior, sampled f from "
        "the exported integer pmf of p(f).  ",
        f"Data: {meta['n']} Sprites test sequences (unseen identities). Judge: `{meta['judge']}`.", "",
        common.md_table(head, rows), "",
        "Attributes are compared per frame (N·T predictions), the action per sequence. KL in nats. "
        "`fixed` = fix-f for the attributes, fix-z for the action; `other latent fixed` is the control "
        "(the factor should change: chance disagreement is about 83% for attributes, 89% for the action). "
        "The seed column is the factorised-q figures as cited in issue #7 "
        "(Li & Mandt 2018 used the LPC sprites and an ELBO-trained model; ours is the codec (RD-trained) model "
        "on procedural sprites).", ""])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="dsae-sprites")
    ap.add_argument("--n", type=int, default=2664, help="test sequences (all 2,664 by default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="markdown path (default results/table1_MODEL.md)")
    args = ap.parse_args(argv)
    common.setup()
    timer = common.Timer()
    from codec.datasets import load

    m = common.load_model(args.model, need_dsae=True)
    clf = classifier.load()
    d = load("sprites", "test")
    n = min(args.n, len(d["frames"]))
    preds = predictions(m, clf, d["frames"][:n], args.seed)
    perm = derangement(n, np.random.default_rng(args.seed + 1))
    res = factor_rows(preds, {k: d[k][:n] for k in FACTORS}, perm)
    cmd = "python -m benchmarks.paper.table1 " + " ".join(sys.argv[1:] if argv is None else argv)
    meta = {"model": args.model, "model_line": common.model_line(m), "quality": common.best_quality(m), "n": n,
            "seed": args.seed, "command": cmd.strip(), "machine": common.machine(), "runtime": str(timer),
            "judge": classifier.WEIGHTS.name + " sha256 "
            + json.loads(classifier.WEIGHTS.with_suffix(".json").read_text())["sha256"][:16]}
    out = common.RESULTS / f"table1_{args.model}.md" if args.out is None else Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(res, meta))
    out.with_suffix(".json").write_text(json.dumps({"meta": meta, "results": res}, indent=2) + "\n")
    print(out.read_text())


if __name__ == "__main__":
    main()
