"""Rate-distortion and speed benchmark: our models vs LSTM-f/LSTM-c, x264/x265/SVT-AV1 and a frame codec.

    python -m benchmarks.rd --dataset {sprites,bouncing-ball,carphone,all} [--n 200] [--quick]

Writes `<out>/rd-<dataset>.json` (machine, versions, the command, every point), `<out>/rd-<dataset>.png`
(bpp vs PSNR and vs MS-SSIM) and `<out>/SUMMARY.md` (BD-rates, speeds, targets; rebuilt from every
rd-*.json in <out>). Default out: benchmarks/results (benchmarks/results/quick with --quick).
Distortion: mean per-sequence RGB-PSNR (per-sequence MSE floored at PSNR 100 dB); MS-SSIM is the mean
per-frame value of codec.metrics.msssim (single-scale SSIM at 32 px). Grey clips (bouncing ball) are
scored on their one channel; classical codecs get them as the luma plane (yuv444p/yuv420p, flat chroma).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from codec.errors import CodecError
from codec.metrics import msssim
from codec.models import available, describe

from . import report
from .bdrate import bd_rate
from .contenders import ClassicCodec, Codec, FrameCodec, ModelCodec, frame_codec_weights

DATASETS = ("sprites", "bouncing-ball", "carphone")
CRFS = {"x264": [51, 46, 41, 36, 31, 26, 21, 16], "x265": [51, 46, 41, 36, 31, 26, 21, 16],
        "svtav1": [63, 56, 49, 42, 35, 28, 21]}
QUICK_CRFS = {"x264": [51, 38, 26], "x265": [51, 38, 26], "svtav1": [63, 45, 28]}
PRESETS = {"x264": "veryslow", "x265": "slow", "svtav1": "4"}
CLASSIC_SETS = (("x264", "yuv444p"), ("x264", "yuv420p"), ("x265", "yuv444p"), ("x265", "yuv420p"),
                ("svtav1", "yuv420p"))
OUT = Path(__file__).parent / "results"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def spread(total: int, n: int) -> np.ndarray:
    """n indices spread evenly over range(total) (covers every identity/action of a split)."""
    return np.unique(np.linspace(0, total - 1, min(n, total)).round().astype(int))


def load_data(name: str, n: int, quick: bool = False) -> tuple[np.ndarray, dict]:
    """-> uint8 sequences (N, T, H, W, C) and a description. carphone: the whole clip (quick: 16 frames)."""
    if name == "carphone":
        from .media_fetch import carphone_path, load_carphone
        frames = load_carphone()[:16 if quick else None]
        return frames[None], {"source": str(carphone_path().name), "note": "one sequence of the whole clip; "
                              "the source mp4 is itself H.264-coded at high quality"}
    from codec.datasets import load
    frames = load(name, "test")["frames"]
    idx = spread(len(frames), n)
    return frames[idx], {"source": f"codec.datasets.load({name!r}, 'test')", "split_size": len(frames),
                         "indices": "evenly spread: np.linspace(0, split-1, n).round()"}


def model_names(dataset: str) -> list[str]:
    """Installed models of the dataset's domain (carphone: the RGB sprites models), DSAE first."""
    domain = "sprites" if dataset == "carphone" else dataset
    names = [n for n in available() if describe(n)["domain"] == domain]
    order = {"dsae": 0, "lstm-f": 1, "lstm-c": 2}
    return sorted(names, key=lambda n: (order.get(describe(n)["kind"], 3), n))


def make_contenders(dataset: str, channels: int, quick: bool, models: list[str] | None, device: str,
                    per_file: int, classic: bool = True,
                    frame_root: str | Path | None = None) -> tuple[list[Codec], list[str]]:
    """-> (contenders, notes on what was left out and why)."""
    out: list[Codec] = []
    skipped: list[str] = []
    names = model_names(dataset) if models is None else models
    for kind in ("dsae", "lstm-f", "lstm-c"):
        if models is None and not any(describe(n)["kind"] == kind for n in names):
            skipped.append(f"{kind}: no installed model for this domain")
    for name in names:
        m = ModelCodec(name, device=device, per_file=per_file)
        if quick:
            q = m.points
            m.points = sorted({q[0], q[len(q) // 2], q[-1]})
        out.append(m)
    train_set = "sprites" if dataset == "carphone" else dataset
    paths = frame_codec_weights(train_set, **({"root": frame_root} if frame_root else {}))
    if paths:
        out.append(FrameCodec(paths, device=device))
    else:
        skipped.append(f"frame codec: no framecodec-{train_set}-*.safetensors weights")
    if classic:
        for codec, pix in CLASSIC_SETS:
            if channels == 1 and pix != "yuv444p" and codec != "svtav1":
                skipped.append(f"{codec} {pix}: grey input codes the same luma as yuv444p (flat chroma)")
                continue
            out.append(ClassicCodec(codec, pix, (QUICK_CRFS if quick else CRFS)[codec], PRESETS[codec]))
    return out, skipped


def psnr_per_seq(a: np.ndarray, b: np.ndarray) -> float:
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).reshape(len(a), -1).mean(1)
    return float(np.mean(10 * np.log10(255.0 ** 2 / np.maximum(mse, 255.0 ** 2 * 1e-10))))


def measure(codec: Codec, seqs: np.ndarray, point) -> dict:
    N, T, H, W, C = seqs.shape
    r = codec.run(seqs, point)
    pix, frames = N * T * H * W, N * T
    row = {"point": point, "bytes": r.bytes_real, "bpp": 8 * r.bytes_real / pix,
           "bits_per_seq": 8 * r.bytes_real / N, "psnr": psnr_per_seq(r.recon, seqs),
           "msssim": msssim(r.recon.reshape(-1, H, W, C), seqs.reshape(-1, H, W, C)),
           "bits_estimate": r.bits_estimate,
           "estimate_bpp": None if r.bits_estimate is None else r.bits_estimate / pix,
           "encode_s": r.encode_s, "decode_s": r.decode_s,
           "encode_fps": frames / max(r.encode_s, 1e-9), "decode_fps": frames / max(r.decode_s, 1e-9),
           "extra": r.extra}
    if "file_bytes" in r.extra:
        k = r.extra["per_file_n"]
        row["bpp_file"] = 8 * r.extra["file_bytes"] / (k * T * H * W)
        row["file_encode_fps"] = k * T / max(r.extra["file_encode_s"], 1e-9)
        row["file_decode_fps"] = k * T / max(r.extra["file_decode_s"], 1e-9)
    return row


def cuda_speed(codec: Codec, seqs: np.ndarray) -> dict | None:
    """Speed of a neural contender's best point on CUDA (same sequences)."""
    if isinstance(codec, ModelCodec):
        c = ModelCodec(codec.name, device="cuda", per_file=0)
    elif isinstance(codec, FrameCodec):
        c = FrameCodec(list(codec.paths.values()), device="cuda")
    else:
        return None
    c.run(seqs[:2] if len(seqs) > 1 else seqs[:, :16], c.points[-1])  # warm-up
    row = measure(c, seqs, c.points[-1])
    if isinstance(codec, ModelCodec):
        codec.model.to(codec.device)
    return {k: row[k] for k in ("point", "bytes", "psnr", "encode_fps", "decode_fps")}


def bd_table(res: dict) -> list[dict]:
    """BD-rate of every neural contender against every other contender, PSNR and MS-SSIM."""
    cs = res["contenders"]
    rows = []
    for test, tc in cs.items():
        if tc["family"] == "classical":
            continue
        per_file = tc["family"] == "dsae" and "bpp_file" in tc["points"][0]
        variants = [("bpp", "")] + ([("bpp_file", " (per-file .bin)")] if per_file else [])
        for anchor, ac in cs.items():
            if anchor == test:
                continue
            for metric in ("psnr", "msssim"):
                for rate, label in variants:
                    if label and metric != "psnr":
                        continue
                    r = bd_rate(([p["bpp"] for p in ac["points"]], [p[metric] for p in ac["points"]]),
                                ([p[rate] for p in tc["points"]], [p[metric] for p in tc["points"]]))
                    rows.append({"test": test + label, "anchor": anchor, "metric": metric, "rate": rate, **r})
    return rows


def run_dataset(name: str, seqs: np.ndarray, contenders: list[Codec], info: dict, cuda: bool,
                skipped: list[str] = ()) -> dict:
    N, T, H, W, C = seqs.shape
    res = {"dataset": name, "n_sequences": N, "shape": [N, T, H, W, C], "channels": C, **info,
           "contenders": {}, "skipped": list(skipped)}
    warm = seqs[:2] if N > 1 else seqs[:, :min(T, 16)]
    for c in contenders:
        t0 = time.time()
        c.run(warm, c.points[0])  # warm-up, not timed
        pts = []
        for p in c.points:
            pts.append(measure(c, seqs, p))
            log(f"  {name} {c.name} {p}: {pts[-1]['bpp']:.4f} bpp {pts[-1]['psnr']:.2f} dB "
                f"{pts[-1]['msssim']:.4f} enc {pts[-1]['encode_fps']:.0f} fps dec {pts[-1]['decode_fps']:.0f} fps")
        entry = {**c.describe(), "points": pts, "seconds": round(time.time() - t0, 1)}
        if cuda:
            entry["cuda"] = cuda_speed(c, seqs)
        res["contenders"][c.name] = entry
    res["bd"] = bd_table(res)
    res["targets"] = report.targets(res)
    return res


def environment(argv: list[str], threads: int) -> dict:
    def ver(p):
        try:
            return metadata.version(p)
        except metadata.PackageNotFoundError:
            return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).parent).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True,
                                    cwd=Path(__file__).parent).stdout.strip())
    except OSError:
        commit, dirty = None, None
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    import av
    return {"command": " ".join(["python", "-m", "benchmarks.rd", *argv]),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": {"platform": platform.platform(), "cpu": cpu, "cpu_count": os.cpu_count(),
                        "torch_threads": threads, "loadavg_start": list(os.getloadavg()),
                        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None},
            "versions": {"python": platform.python_version(), "dsae-codec": ver("dsae-codec"),
                         "torch": torch.__version__, "av": av.__version__, "compressai": ver("compressai"),
                         "constriction": ver("constriction"), "bjontegaard": ver("bjontegaard"),
                         "numpy": np.__version__, "ffmpeg_libs": {k: ".".join(map(str, v))
                                                                  for k, v in av.library_versions.items()},
                         "git_commit": commit, "git_dirty": dirty}}


def run_one(name: str, a: argparse.Namespace, argv: list[str], threads: int, out: Path) -> dict:
    """Runs one dataset and writes its JSON and plot."""
    env = environment(argv, threads)
    t0 = time.time()
    log(f"{name}: loading")
    seqs, info = load_data(name, min(a.n, 8) if a.quick else a.n, a.quick)
    cs, skipped = make_contenders(name, seqs.shape[-1], a.quick, a.models, a.device, a.per_file,
                                  frame_root=a.frame_weights)
    cuda = a.cuda == "auto" and torch.cuda.is_available() and a.device == "cpu"
    res = run_dataset(name, seqs, cs, info, cuda, skipped)
    res.update(env, seconds=round(time.time() - t0, 1), quick=a.quick)
    res["machine"]["loadavg_end"] = list(os.getloadavg())
    path = out / f"rd-{name}.json"
    path.write_text(json.dumps(res, indent=1, default=float) + "\n")
    report.plot(res, out / f"rd-{name}.png")
    log(f"{name}: wrote {path} ({res['seconds']:.0f} s)")
    return res


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m benchmarks.rd", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="all", choices=(*DATASETS, "all"))
    p.add_argument("--n", type=int, default=200, help="test sequences per synthetic dataset")
    p.add_argument("--quick", action="store_true",
                   help="8 sequences (carphone: 16 frames), 3 points per contender; default out results/quick")
    p.add_argument("--models", nargs="*", help="model names (default: every installed model of the domain)")
    p.add_argument("--per-file", type=int, default=-1,
                   help="sequences also coded as their own .bin: -1 all (default), 0 none, k the first k")
    p.add_argument("--device", default="cpu", help="device of the RD run (speed targets are CPU)")
    p.add_argument("--cuda", choices=("auto", "off"), default="auto", help="extra CUDA speed pass when available")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: all cores)")
    p.add_argument("--out", default=None, help="results folder")
    p.add_argument("--frame-weights", default=None, help="folder of framecodec-<dataset>-*.safetensors "
                   "(default benchmarks/weights)")
    a = p.parse_args(argv)
    threads = a.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    out = Path(a.out) if a.out else OUT / ("quick" if a.quick else "")
    out.mkdir(parents=True, exist_ok=True)
    try:
        for name in (DATASETS if a.dataset == "all" else (a.dataset,)):
            run_one(name, a, argv, threads, out)
    except (CodecError, ValueError, OSError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    report.write_summary(out)
    log(f"wrote {out / 'SUMMARY.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
