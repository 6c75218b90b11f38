"""CPU speed of the shipped DSAE codecs: batched encode and decode of 200 test sequences, frames/s.

    python -m benchmarks.speed [--json benchmarks/results/speed.json]

The sequences are coded back to back as one clip (one T-frame segment each, batches of 64 sequences per
ANS stream), through the public API (`encode_frames` / `decode_bytes`), after one warm-up call. Run it on an
otherwise idle machine: the numbers are wall-clock.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from codec.api import decode_bytes, encode_frames
from codec.datasets import load
from codec.models import get_model

CASES = (("dsae-sprites", "sprites"), ("dsae-bouncing-ball", "bouncing-ball"))


def measure(name: str, dataset: str, n: int = 200, quality: int | None = None) -> dict:
    m = get_model(name)
    x = load(dataset, "test")["frames"][:n]  # (n, T, H, W, C)
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, -1)
    clip = x.reshape(-1, *x.shape[2:])  # (n*T, H, W, 3)
    encode_frames(clip[:64], model=m)  # warm-up
    t0 = time.perf_counter()
    data = encode_frames(clip, model=m, quality=quality)
    t1 = time.perf_counter()
    decode_bytes(data, model=m)
    t2 = time.perf_counter()
    return {"model": name, "frames": len(clip), "size": f"{clip.shape[2]}x{clip.shape[1]}", "bytes": len(data),
            "encode_fps": len(clip) / (t1 - t0), "decode_fps": len(clip) / (t2 - t1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", help="write the results here")
    a = p.parse_args()
    rows = [measure(n, d) for n, d in CASES]
    info = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg()[0],
            "command": "python -m benchmarks.speed", "rows": rows}
    print(f"| model | frames | bytes | encode fps | decode fps |  (load {info['load_average']:.2f}, "
          f"{info['torch_threads']} threads)\n| --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['model']} | {r['frames']} × {r['size']} | {r['bytes']} | {r['encode_fps']:.0f} | "
              f"{r['decode_fps']:.0f} |")
    if a.json:
        with open(a.json, "w") as fo:
            json.dump(info, fo, indent=2)


if __name__ == "__main__":
    main()
