"""Interrupted runs: `dsae-codec encode` / `decode` as real processes, SIGKILLed at random moments.

Afterwards the output is absent, or a complete, decodable file (the old one, with --force over an existing
output, or the new one); nothing else is in its directory. Staging directories that a kill leaves in
$TMPDIR are allowed (codec/atomic.py; later runs sweep them). Runs go in pairs, so that a pair shares the
machine as the timed pair did. 10 kills by default, 50 with `-m slow`.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from codec import api
from codec.atomic import STAGE_PREFIX
from codec.media import read_video, write_video
from codec.models import get_model

CLI = [sys.executable, "-c", "from tools.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
MODEL = "tiny-dsae-factorised"
CLIP = np.random.default_rng(0).integers(0, 256, (12, 32, 48, 3), dtype=np.uint8)  # 3x2 tiles x 3 segments


class Bench:
    """Inputs (a clip, its stream, the decoded video) and the seconds a full encode and decode take."""

    def __init__(self, root: Path, models: Path, other_fs: Path | None):
        self.root, self.models = root, models
        self.tmpdirs = [root / "tmp"] + ([other_fs] if other_fs else [])
        self.tmpdirs[0].mkdir()
        self.video, self.bin, self.dec = root / "clip.mp4", root / "ref.bin", root / "ref.mkv"
        write_video(self.video, CLIP, Fraction(24))
        m = get_model(str(models / f"{MODEL}.safetensors"))
        self.bin.write_bytes(api.encode_frames(CLIP, Fraction(24), model=m))
        write_video(self.dec, api.decode_bytes(self.bin.read_bytes(), model=m).frames, Fraction(24))
        t0 = time.perf_counter()
        procs = [self.start("encode", root / "base.bin"), self.start("decode", root / "base.mkv")]
        self.seconds = {}
        while len(self.seconds) < 2:
            for cmd, p in zip(("encode", "decode"), procs):
                if cmd not in self.seconds and p.poll() is not None:
                    assert p.returncode == 0, f"{cmd} failed"
                    self.seconds[cmd] = time.perf_counter() - t0
            time.sleep(0.02)

    def start(self, cmd: str, out: Path, force: bool = False, tmpdir: Path | None = None) -> subprocess.Popen:
        src = self.video if cmd == "encode" else self.bin
        argv = CLI + [cmd, str(src), "-o", str(out), "--quiet"] + (["--model", MODEL] if cmd == "encode" else [])
        env = {**os.environ, "DSAE_MODELS": str(self.models), "TMPDIR": str(tmpdir or self.tmpdirs[0]),
               "OMP_NUM_THREADS": "1"}
        return subprocess.Popen(argv + (["--force"] if force else []), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def complete(path: Path, cmd: str, model) -> bool:
    """A whole output: a .bin that decodes to the clip's shape, or a video with every frame."""
    if cmd == "encode":
        return api.decode_bytes(path.read_bytes(), model=model).frames.shape == CLIP.shape
    return read_video(path).frames.shape == CLIP.shape


@pytest.fixture(scope="module")
def bench(tmp_path_factory, model_dir):
    other = None
    shm = Path("/dev/shm")
    root = tmp_path_factory.mktemp("interrupt")
    if shm.is_dir() and os.access(shm, os.W_OK) and os.stat(shm).st_dev != os.stat(root).st_dev:
        other = Path(tempfile.mkdtemp(prefix="dsae-interrupt-", dir=shm))  # staging on another filesystem
    yield Bench(root, model_dir, other)
    if other:
        shutil.rmtree(other, ignore_errors=True)


def kill_runs(bench: Bench, n: int, seed: int) -> dict:
    """n runs in pairs, each SIGKILLed after a random fraction of a full run; returns outcome counts."""
    rng = random.Random(seed)
    model = get_model(str(bench.models / f"{MODEL}.safetensors"))
    counts = {"absent": 0, "complete": 0, "finished": 0}  # finished: exited 0 before the kill
    for pair in range(0, n, 2):
        runs = []
        for i in range(pair, min(pair + 2, n)):
            cmd, force = ("encode", "decode")[i % 2], (i // 2) % 2 == 1
            out_dir = bench.root / f"run{seed}-{i}"
            out_dir.mkdir()
            out = out_dir / ("out.bin" if cmd == "encode" else "out.mkv")
            if force:
                shutil.copy(bench.bin if cmd == "encode" else bench.dec, out)
            delay = bench.seconds[cmd] * rng.choice([rng.uniform(0.0, 1.0), rng.uniform(0.7, 1.05)])
            tmpdir = bench.tmpdirs[(i // 4) % len(bench.tmpdirs)]
            runs.append((delay, i, cmd, force, out, bench.start(cmd, out, force, tmpdir)))
        t0 = time.perf_counter()
        for delay, i, cmd, force, out, p in sorted(runs, key=lambda r: r[0]):
            time.sleep(max(0.0, t0 + delay - time.perf_counter()))
            p.send_signal(signal.SIGKILL)
        for delay, i, cmd, force, out, p in runs:
            rc = p.wait(timeout=60)
            counts["finished"] += rc == 0
            names = os.listdir(out.parent)
            assert names in ([], [out.name]), f"run {i} ({cmd}, killed after {delay:.2f} s) left {names}"
            if not names:
                assert not force, f"run {i}: the existing output vanished"
                counts["absent"] += 1
                continue
            assert complete(out, cmd, model), f"run {i} ({cmd}, killed after {delay:.2f} s): a partial output"
            counts["complete"] += 1
    for d in bench.tmpdirs:
        assert all(name.startswith(STAGE_PREFIX) for name in os.listdir(d)), os.listdir(d)
    print(f"{n} kills: {counts}; a full run (in a pair) took {bench.seconds}")
    return counts


def test_sigkill_at_random_moments(bench):
    counts = kill_runs(bench, 10, seed=0)
    assert counts["absent"] + counts["complete"] == 10


@pytest.mark.slow
def test_sigkill_at_random_moments_50(bench):
    counts = kill_runs(bench, 50, seed=1)
    assert counts["absent"] + counts["complete"] == 50
