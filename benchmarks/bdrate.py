"""Bjøntegaard-delta rates with the `bjontegaard` package, over the overlapping quality range only.

Each curve is first reduced to its efficient points (sorted by rate, keeping only points whose quality
beats every cheaper point), since the interpolation needs quality to rise with rate. BD-rate integrates
log-rate over the quality interval where both curves have points (`overlap`); with no overlap there is
no number, and the result says so instead of extrapolating.
"""
from __future__ import annotations

import math
import warnings

import bjontegaard as bd
import numpy as np
from scipy.interpolate import PchipInterpolator


def frontier(rates, dists) -> tuple[np.ndarray, np.ndarray]:
    """Efficient points: rate strictly rising, quality strictly rising. Non-finite points are dropped."""
    pts = sorted((float(r), float(d)) for r, d in zip(rates, dists)
                 if r > 0 and math.isfinite(r) and math.isfinite(d))
    keep: list[tuple[float, float]] = []
    for r, d in pts:
        if not keep or d > keep[-1][1]:
            if keep and r == keep[-1][0]:
                keep[-1] = (r, d)
            else:
                keep.append((r, d))
    return np.array([p[0] for p in keep]), np.array([p[1] for p in keep])


def bd_rate(anchor: tuple, test: tuple, method: str = "akima") -> dict:
    """anchor, test: (rates, qualities). -> {"bd_rate": percent or None, "overlap": [lo, hi], "note", ...}.

    Negative = the test codec needs fewer bits than the anchor at equal quality (averaged in log-rate).
    """
    ra, da = frontier(*anchor)
    rt, dt = frontier(*test)
    out = {"bd_rate": None, "overlap": None, "overlap_frac": 0.0, "test_cheaper_frac": None,
           "points": [len(ra), len(rt)], "method": method}
    if len(ra) < 2 or len(rt) < 2:
        out["note"] = f"too few efficient points (anchor {len(ra)}, test {len(rt)})"
        return out
    lo, hi = max(da.min(), dt.min()), min(da.max(), dt.max())
    if hi <= lo:
        out["note"] = (f"no overlap (anchor {da.min():.3f}..{da.max():.3f}, "
                       f"test {dt.min():.3f}..{dt.max():.3f})")
        return out
    span = max(da.max(), dt.max()) - min(da.min(), dt.min())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        val = bd.bd_rate(ra, da, rt, dt, method=method, require_matching_points=False, min_overlap=0)
    grid = np.linspace(lo, hi, 64)
    la = PchipInterpolator(da, np.log(ra))(grid)
    lt = PchipInterpolator(dt, np.log(rt))(grid)
    out.update(bd_rate=float(val) if math.isfinite(val) else None, overlap=[float(lo), float(hi)],
               overlap_frac=float((hi - lo) / span), test_cheaper_frac=float(np.mean(lt < la)),
               note="" if (hi - lo) / span >= 0.25 else "small overlap")
    return out
