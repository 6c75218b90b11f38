"""The RD harness end to end in quick mode: tiny models, a tiny synthetic set, every contender kind."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from benchmarks import bdrate, framecodec, rd, report
from benchmarks.contenders import ClassicCodec, ModelCodec, Result


def _synthetic(n: int, T: int, size: int, channels: int, seed: int = 0) -> np.ndarray:
    """n clips of a bright square moving over a flat background: uint8 (n, T, size, size, channels)."""
    rng = np.random.default_rng(seed)
    x = np.full((n, T, size, size, channels), 40, np.uint8)
    colour = np.array([200, 120, 60][:channels], np.uint8)
    for i in range(n):
        (y0, x0), (vy, vx) = rng.integers(0, size - 6, 2), rng.integers(-2, 3, 2)
        for t in range(T):
            y, xx = np.clip([y0 + vy * t, x0 + vx * t], 0, size - 6)
            x[i, t, y:y + 6, xx:xx + 6] = colour
    return x


POINT_KEYS = {"point", "bytes", "bpp", "bits_per_seq", "psnr", "msssim", "bits_estimate", "estimate_bpp",
              "encode_s", "decode_s", "encode_fps", "decode_fps", "extra"}


def test_quick_harness(models_env, tmp_path):
    t0 = time.time()
    seqs = _synthetic(6, 4, 16, 3)  # tiny models: 16x16, T = 4
    fw = tmp_path / "fw"
    for lmbda in (100.0, 1000.0):
        cfg = framecodec.FrameCodecConfig(dataset="sprites", lmbda=lmbda, N=8, M=8, steps=2, batch=4)
        framecodec.train(cfg, fw / f"framecodec-sprites-l{lmbda:g}.safetensors",
                         frames=seqs.reshape(-1, 16, 16, 3), log=lambda s: None)
    models = ["tiny-dsae-factorised", "tiny-lstm-f-factorised", "tiny-lstm-c-factorised"]
    cs, skipped = rd.make_contenders("sprites", 3, quick=True, models=models, device="cpu", per_file=-1,
                                     frame_root=fw)
    assert [c.family for c in cs][:4] == ["dsae", "lstm-f", "lstm-c", "frame-neural"] and not skipped
    res = rd.run_dataset("sprites", seqs, cs, {"source": "synthetic"}, cuda=False)
    res.update(rd.environment(["--quick"], 1), seconds=1.0, quick=True)
    grey = _synthetic(4, 8, 16, 1, seed=1)  # two segments per sequence, grey model and classical luma
    cg, skipped = rd.make_contenders("bouncing-ball", 1, quick=True, models=["tiny-grey"], device="cpu",
                                     per_file=2, frame_root=tmp_path / "none")
    assert {c.name for c in cg} == {"tiny-grey", "x264-444p", "x265-444p", "svtav1-420p"}
    assert len(skipped) == 3  # no frame codec, two 4:2:0 variants of grey input
    res2 = rd.run_dataset("bouncing-ball", grey, cg, {"source": "synthetic"}, cuda=False, skipped=skipped)
    res2.update(rd.environment(["--quick"], 1), seconds=1.0, quick=True)

    for r in (res, res2):
        path = tmp_path / f"rd-{r['dataset']}.json"
        path.write_text(json.dumps(r, default=float))
        back = json.loads(path.read_text())
        assert {"command", "machine", "versions", "contenders", "bd", "targets", "shape"} <= set(back)
        for c in back["contenders"].values():
            assert {"name", "family", "rate_note", "points"} <= set(c)
            for p in c["points"]:
                assert POINT_KEYS <= set(p)
                assert p["bytes"] > 0 and np.isfinite(p["psnr"]) and p["encode_fps"] > 0
            if c["family"] in ("dsae", "lstm-f", "lstm-c"):
                for p in c["points"]:
                    x = p["extra"]
                    assert p["bits_estimate"] > 0
                    assert x["stream_bytes"] == p["bytes"] >= x["payload_bytes"] + x["framing_bytes"]
                    assert x["file_bytes"] >= x["file_payload_bytes"]
                    assert x["header_bytes"] > 0
        for t in back["targets"]:
            assert t["met"] in (True, False, None) and t["detail"]
        report.plot(back, tmp_path / f"rd-{r['dataset']}.png")
        assert (tmp_path / f"rd-{r['dataset']}.png").stat().st_size > 1000

    # per-file .bin streams carry a header each: more bytes than the one shared stream
    p = res["contenders"]["tiny-dsae-factorised"]["points"][0]
    assert p["extra"]["file_bytes"] > p["extra"]["stream_bytes"]
    assert p["extra"]["file_recon_differs"] == 0
    # BD-rate ran for every (neural, other) pair and metric, and the classical curves overlap each other
    assert any(r["test"] == "tiny-dsae-factorised" and r["anchor"] == "x265-444p" for r in res["bd"])
    assert {t["id"] for t in res["targets"]} >= {"sprites-vs-classical", "sprites-bytes-vs-estimate",
                                                 "sprites-vs-frame-codec", "sprites-cpu-speed"}
    summary = report.write_summary(tmp_path).read_text()
    assert "## Targets" in summary and "x265-444p" in summary and "tiny-grey" in summary
    assert time.time() - t0 < 30


def test_bd_rate_overlap_and_frontier():
    r = bdrate.bd_rate(([1, 2, 4, 8], [30, 33, 36, 39]), ([0.5, 1, 2, 4], [30, 33, 36, 39]))
    assert r["bd_rate"] == pytest.approx(-50.0, abs=1e-6) and r["overlap"] == [30.0, 39.0]
    assert r["test_cheaper_frac"] == 1.0
    none = bdrate.bd_rate(([1, 2, 4], [30, 33, 36]), ([0.1, 0.2], [20, 22]))
    assert none["bd_rate"] is None and none["note"].startswith("no overlap")
    rates, dists = bdrate.frontier([4, 1, 2, 3], [36, 30, 29, 35])  # (2, 29) is dominated by (1, 30)
    assert list(rates) == [1, 3, 4] and list(dists) == [30, 35, 36]


def test_classic_contender_counts_every_sequence():
    seqs = _synthetic(3, 4, 16, 3)
    c = ClassicCodec("x264", "yuv444p", [40], "medium")
    r = c.run(seqs, 40)
    assert isinstance(r, Result) and r.recon.shape == seqs.shape and r.bits_estimate is None
    singles = [c.run(s[None], 40).bytes_real for s in seqs]
    assert r.bytes_real == sum(singles)


def test_model_contender_tiles_a_larger_clip(models_env):
    clip = _synthetic(1, 5, 24, 3)  # 2x2 tiles of 16 and a short last segment: 4 + 4 sequences, 2 segments
    c = ModelCodec("tiny-dsae-factorised")
    r = c.run(clip, c.points[-1])
    assert r.recon.shape == clip.shape and r.extra["n_segments"] == 2 and "file_bytes" not in r.extra
