"""Markdown table of the shipped models from their JSON sidecars (training command facts + test evaluation).

    python -m benchmarks.models_table

The evaluation in each sidecar is made at the end of training on the first 128 test sequences, with hard
rounding exactly as the codec quantises and the model's own bit estimate; real file sizes are in the RD
benchmark (benchmarks/results/).
"""
from __future__ import annotations

from codec.models import available, describe


def main() -> None:
    print("| model | kind | domain | frame, T | size | steps | train time | bits/seq @ PSNR (q0 … q4) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in sorted(available()):
        d = describe(name)
        pts = ", ".join(f"{r['bits_per_seq']:.0f} @ {r['psnr']:.1f}" for r in d["eval"])
        mins = f"{d['train_seconds'] / 60:.0f} min" if d["train_seconds"] else "?"
        print(f"| {name} | {d['kind']} | {d['domain']} | {d['frame']}, {d['T']} | {d['bytes'] / 1e6:.2f} MB "
              f"| {d['steps']} | {mins} | {pts} |")


if __name__ == "__main__":
    main()
