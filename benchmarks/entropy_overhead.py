"""Entropy-coder overhead: real bytes vs the ideal -log2 p of Gaussian residuals, plus speed.

Draws n residuals r = round(N(0, SCALE_TABLE[idx])) for uniformly random scale indices (that
is, samples of the discretised Gaussian itself), codes them with bitstream's SegmentEncoder and
compares the bytes written with sum(-log2 p(r)), where p is the untruncated discretised Gaussian
(bins of width 1 centred on the integers), computed with math.erfc. Two layouts are measured:
one stream holding everything in one call, and codec-like segments of 4096 symbols coded in
calls of 256 (counting the container's 8-byte framing per segment).

    python -m benchmarks.entropy_overhead [--n 1000000] [--seed 0] [--json PATH]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from importlib import metadata

import numpy as np

from bitstream import GAUSS_RANGE, SCALE_TABLE, SegmentDecoder, SegmentEncoder


def ideal_bits(r: np.ndarray, idx: np.ndarray) -> float:
    """sum of -log2 P(r - 1/2 < X < r + 1/2), X ~ N(0, SCALE_TABLE[idx])."""
    a = np.abs(r)
    vmax = int(a.max())
    table = np.empty((len(SCALE_TABLE), vmax + 1))
    for i, s in enumerate(SCALE_TABLE):
        k = 1.0 / (s * math.sqrt(2.0))
        tails = np.array([math.erfc((v + 0.5) * k) for v in range(vmax + 1)])  # 2 P(X > v + 1/2)
        p = np.empty(vmax + 1)
        p[0] = math.erf(0.5 * k)
        p[1:] = 0.5 * (tails[:-1] - tails[1:])
        table[i] = -np.log2(np.maximum(p, 1e-300))
    return float(table[idx, a].sum())


def run_layout(r, idx, seg_len: int, call_len: int, repeats: int) -> dict:
    """Encode and decode r in segments of seg_len symbols and calls of call_len; best-of timings."""
    n = r.size
    bounds = [(s, min(s + seg_len, n)) for s in range(0, n, seg_len)]
    t_enc, t_dec = math.inf, math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        payloads = []
        for a, b in bounds:
            enc = SegmentEncoder()
            for c in range(a, b, call_len):
                enc.gaussian(r[c:min(c + call_len, b)], idx[c:min(c + call_len, b)])
            payloads.append(enc.finish())
        t_enc = min(t_enc, time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = []
        for (a, b), payload in zip(bounds, payloads):
            dec = SegmentDecoder(payload)
            for c in range(a, b, call_len):
                out.append(dec.gaussian(idx[c:min(c + call_len, b)]))
            dec.finish()
        t_dec = min(t_dec, time.perf_counter() - t0)
        assert np.array_equal(np.concatenate(out), r), "round trip failed"
    payload_bytes = sum(len(p) for p in payloads)
    return {"segment_symbols": seg_len, "call_symbols": call_len, "segments": len(bounds),
            "payload_bytes": payload_bytes, "container_bytes": payload_bytes + 8 * len(bounds),
            "encode_sym_per_s": n / t_enc, "decode_sym_per_s": n / t_dec}


def machine() -> dict:
    def ver(p):
        try:
            return metadata.version(p)
        except metadata.PackageNotFoundError:
            return None
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(),
            "numpy": ver("numpy"), "constriction": ver("constriction")}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of residuals")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3, help="timing runs (best is kept)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    idx = rng.integers(0, len(SCALE_TABLE), args.n).astype(np.int32)
    r = np.rint(rng.normal(0.0, SCALE_TABLE[idx])).astype(np.int32)
    ideal = ideal_bits(r, idx)
    layouts = [run_layout(r, idx, args.n, args.n, args.repeats),
               run_layout(r, idx, 4096, 256, args.repeats)]
    for lay in layouts:
        lay["ratio_payload"] = 8 * lay["payload_bytes"] / ideal
        lay["ratio_container"] = 8 * lay["container_bytes"] / ideal
    res = {"command": "python -m benchmarks.entropy_overhead " + " ".join(argv or sys.argv[1:]),
           "n": args.n, "seed": args.seed, "gauss_range": GAUSS_RANGE,
           "escapes": int(np.count_nonzero(np.abs(r.astype(np.int64)) > GAUSS_RANGE)),
           "ideal_bits": ideal, "ideal_bits_per_symbol": ideal / args.n, "layouts": layouts,
           "machine": machine()}

    print(f"{args.n} residuals, random scale indices (seed {args.seed}), R = {GAUSS_RANGE}, "
          f"{res['escapes']} escapes; ideal {ideal / 8:,.0f} bytes ({ideal / args.n:.4f} bits/symbol)")
    print(f"{'layout':<40}{'payload B':>12}{'+framing B':>12}{'ratio':>9}{'ratio+fr':>9}"
          f"{'enc Msym/s':>12}{'dec Msym/s':>12}")
    for lay in layouts:
        name = f"{lay['segments']} seg x {lay['segment_symbols']}, calls of {lay['call_symbols']}"
        print(f"{name:<40}{lay['payload_bytes']:>12,}{lay['container_bytes']:>12,}{lay['ratio_payload']:>9.5f}"
              f"{lay['ratio_container']:>9.5f}{lay['encode_sym_per_s'] / 1e6:>12.2f}"
              f"{lay['decode_sym_per_s'] / 1e6:>12.2f}")
    print("machine: " + ", ".join(f"{k}={v}" for k, v in res["machine"].items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return res


if __name__ == "__main__":
    main()
