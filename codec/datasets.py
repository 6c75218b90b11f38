"""Datasets on disk: cached synthetic sets and clips cut from the user's own videos.

dsae.data generates frames in memory and knows nothing of files; this module owns the
file side:
  - `build` / `load` / `verify`: the bouncing-ball (DSAE §4.3) and Sprites (§4.1) sets,
    saved once as uncompressed `{name}-{split}.npz` under `cache_dir()` with a manifest
    `{name}.json` (sha256 of each file, generator version, what was generated). Files are
    written atomically and read back without pickle.
  - `VideoFolderDataset`: T-frame clips from mp4/mkv/webm/avi/mov/y4m files, read with PyAV.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from collections import deque
from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from dsae.data import ball, sprites

NAMES = ("bouncing-ball", "sprites")
SPLITS = ("train", "test")
BALL_COUNTS = {"train": 4000, "test": 1000}  # DSAE §4.3: 5,000 sequences, 1,000 for test
BALL_SEEDS = {"train": ball.TRAIN_SEED, "test": ball.TEST_SEED}
SPRITES_SPLIT_SEED = 0
SPRITES_MAX_IDENTITIES: int | None = None  # cap per split, only for quick builds (tests)


def cache_dir() -> Path:
    """$DSAE_CACHE if set, else ~/.cache/dsae-codec/datasets."""
    env = os.environ.get("DSAE_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "dsae-codec" / "datasets"


def _check(name: str, split: str | None = None) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(NAMES)}")
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLITS)}")


def _sprite_ids(split: str) -> np.ndarray:
    ids = sprites.split_identities(SPRITES_SPLIT_SEED)[SPLITS.index(split)]
    return ids if SPRITES_MAX_IDENTITIES is None else ids[:SPRITES_MAX_IDENTITIES]


def _plan(name: str) -> dict:
    """What a build of `name` produces; a manifest that records anything else is stale."""
    if name == "bouncing-ball":
        return {"generator": ball.VERSION,
                "splits": {s: {"sequences": BALL_COUNTS[s], "seed": BALL_SEEDS[s]} for s in SPLITS}}
    return {"generator": sprites.VERSION, "split_seed": SPRITES_SPLIT_SEED,
            "splits": {s: {"sequences": len(_sprite_ids(s)) * len(sprites.ACTIONS)} for s in SPLITS}}


def _generate(name: str, split: str, progress: bool) -> dict[str, np.ndarray]:
    total = _plan(name)["splits"][split]["sequences"]
    with tqdm(total=total, desc=f"{name} {split}", unit="seq", file=sys.stderr,
              disable=not progress, leave=False) as bar:
        if name == "bouncing-ball":
            frames, positions = ball.generate(total, BALL_SEEDS[split], progress=bar.update)
            return {"frames": frames, "positions": positions}  # (N, 30, 32, 32, 1), (N, 30, 2)
        frames, labels = sprites.generate(_sprite_ids(split), progress=bar.update)
        return {"frames": frames, **labels}  # (N, 8, 64, 64, 3), labels (N,)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _write_atomic(path: Path, write) -> None:
    """Write through a temp file in the same folder, then os.replace: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:  # plain open: the umask decides the mode, as for any file
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _manifest_path(name: str) -> Path:
    return cache_dir() / f"{name}.json"


def _read_manifest(name: str) -> dict | None:
    try:
        return json.loads(_manifest_path(name).read_text())
    except (OSError, ValueError):
        return None


def _up_to_date(name: str) -> bool:
    """Cheap check: manifest matches the current plan and every file has the recorded size."""
    m = _read_manifest(name)
    if m is None or m.get("plan") != _plan(name):
        return False
    for s in SPLITS:
        entry = m.get("files", {}).get(s, {})
        path = cache_dir() / entry.get("file", f"{name}-{s}.npz")
        if not path.is_file() or path.stat().st_size != entry.get("bytes"):
            return False
    return True


def build(name: str, force: bool = False, progress: bool = True) -> dict[str, Path]:
    """Generate and save both splits of `name` unless an up-to-date copy exists. -> {split: path}"""
    _check(name)
    root = cache_dir()
    paths = {s: root / f"{name}-{s}.npz" for s in SPLITS}
    if not force and _up_to_date(name):
        return paths
    root.mkdir(parents=True, exist_ok=True)
    _manifest_path(name).unlink(missing_ok=True)  # no stale manifest while files change
    files = {}
    for s in SPLITS:
        arrays = _generate(name, s, progress)
        _write_atomic(paths[s], lambda f: np.savez(f, **arrays))
        del arrays
        files[s] = {"file": paths[s].name, "bytes": paths[s].stat().st_size, "sha256": _sha256(paths[s])}
    manifest = {"name": name, "plan": _plan(name), "files": files}
    _write_atomic(_manifest_path(name), lambda f: f.write(json.dumps(manifest, indent=2).encode()))
    return paths


def verify(name: str) -> bool:
    """True when the manifest matches the current generator and every file's sha256 matches it."""
    _check(name)
    m = _read_manifest(name)
    if m is None or m.get("plan") != _plan(name):
        return False
    for s in SPLITS:
        entry = m.get("files", {}).get(s)
        path = cache_dir() / entry["file"] if entry else None
        if path is None or not path.is_file() or _sha256(path) != entry.get("sha256"):
            return False
    return True


def load(name: str, split: str) -> dict[str, np.ndarray]:
    """Arrays of one split, building the dataset on first use.

    bouncing-ball: 'frames' uint8 (N, 30, 32, 32, 1), 'positions' float32 (N, 30, 2).
    sprites: 'frames' uint8 (N, 8, 64, 64, 3) and int64 (N,) 'skin', 'top', 'pants', 'hair',
    'action', 'identity'.
    """
    _check(name, split)
    path = build(name)[split]
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


# --- the user's own videos ------------------------------------------------------------
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".avi", ".mov", ".y4m")
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # BT.601 weights for gray=True


class VideoFolderDataset:
    """T-frame clips of size (H, W) cut from every video under `root` (recursive).

    mode="resize" scales whole frames to (H, W) (antialiased bilinear, aspect not kept);
    mode="crop" takes a random (H, W) window, the same for all T frames of a clip.
    Files are opened only when `clips` needs them. Clip starts are uniform over all
    T-frame windows of all usable files. Frames are uint8 (T, H, W, C), C = 3, or 1 if gray.
    """

    def __init__(self, root, T: int, size: tuple[int, int] | int, mode: str = "resize", gray: bool = False):
        self.root = Path(root)
        if not self.root.is_dir():
            raise ValueError(f"not a directory: {self.root}")
        self.T, self.gray, self.mode = int(T), bool(gray), mode
        self.size = (int(size), int(size)) if np.isscalar(size) else tuple(int(v) for v in size)
        if self.T < 1 or len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"need T >= 1 and size (H, W) >= 1; got T={T}, size={size}")
        if mode not in ("resize", "crop"):
            raise ValueError(f"mode must be 'resize' or 'crop', got {mode!r}")
        self.files = sorted(p for p in self.root.rglob("*")
                            if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS)
        if not self.files:
            raise ValueError(f"no video files ({' '.join(VIDEO_EXTENSIONS)}) under {self.root}")
        self._info: dict[Path, tuple[int, int, int]] = {}

    def info(self, path: Path) -> tuple[int, int, int]:
        """(frames, height, width) of one file, from its header (packets counted if needed)."""
        if path not in self._info:
            try:
                with av.open(str(path)) as c:
                    if not c.streams.video:
                        raise ValueError("no video stream")
                    st = c.streams.video[0]
                    n = st.frames or sum(1 for p in c.demux(st) if p.size)
                    self._info[path] = (int(n), st.codec_context.height, st.codec_context.width)
            except (av.FFmpegError, OSError, ValueError) as e:
                raise ValueError(f"cannot read video {path}: {e}") from e
        return self._info[path]

    def _fit(self, rgb: np.ndarray, oy: int, ox: int) -> np.ndarray:
        """One frame (h, w, 3) -> (H, W, C): crop or resize, then gray if asked."""
        H, W = self.size
        if self.mode == "crop":
            rgb = rgb[oy:oy + H, ox:ox + W]
        elif rgb.shape[:2] != (H, W):
            x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float()  # (1, 3, h, w)
            x = F.interpolate(x, size=(H, W), mode="bilinear", antialias=True, align_corners=False)
            rgb = x[0].round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()  # (H, W, 3)
        if self.gray:
            return np.rint(rgb.astype(np.float32) @ _LUMA).astype(np.uint8)[..., None]  # (H, W, 1)
        return rgb

    def _fill(self, path: Path, jobs: list[tuple[int, int, int, int]], out: np.ndarray) -> None:
        """Decode `path` once and write each job (row of out, start, crop y, crop x) into out.

        Only the fitted (H, W) frames are kept, so long or large videos cost no memory.
        Windows past the end of a stream shorter than its header said take its last T frames.
        """
        T = self.T
        need: dict[int, list[tuple[int, int, int, int]]] = {}  # frame index -> [(row, k, oy, ox)]
        for row, start, oy, ox in jobs:
            for k in range(T):
                need.setdefault(start + k, []).append((row, k, oy, ox))
        last, tail, n = max(need), deque(maxlen=T), 0
        try:
            with av.open(str(path)) as c:
                st = c.streams.video[0]
                st.thread_type = "AUTO"
                for n, frame in enumerate(c.decode(st), start=1):
                    rgb = frame.to_ndarray(format="rgb24")  # (h, w, 3)
                    tail.append(rgb)
                    resized = None  # resize mode: one fitted frame serves every clip
                    for row, k, oy, ox in need.get(n - 1, ()):
                        if self.mode == "crop":
                            out[row, k] = self._fit(rgb, oy, ox)
                        else:
                            resized = self._fit(rgb, 0, 0) if resized is None else resized
                            out[row, k] = resized
                    if n > last:
                        return
        except (av.FFmpegError, OSError) as e:
            raise ValueError(f"cannot read video {path}: {e}") from e
        if len(tail) < T:
            raise ValueError(f"cannot read video {path}: decoded {len(tail)} frames, need {T}")
        for row, start, oy, ox in jobs:
            if start + T > n:
                out[row] = np.stack([self._fit(rgb, oy, ox) for rgb in tail])

    def clips(self, n: int, seed: int) -> np.ndarray:
        """n clips sampled deterministically by seed. -> uint8 (n, T, H, W, C)"""
        H, W = self.size
        usable, windows = [], []
        for p in self.files:
            frames, h, w = self.info(p)
            if frames >= self.T and (self.mode == "resize" or (h >= H and w >= W)):
                usable.append(p)
                windows.append(frames - self.T + 1)
        if not usable:
            need = f"{self.T} frames" + (f" of at least {H}x{W}" if self.mode == "crop" else "")
            raise ValueError(f"no video under {self.root} has {need}")
        rng = np.random.default_rng(seed)
        weights = np.asarray(windows, np.float64) / sum(windows)
        picks = []  # (file index, start, crop y, crop x) per clip
        for _ in range(n):
            f = int(rng.choice(len(usable), p=weights))
            _, h, w = self.info(usable[f])
            oy = int(rng.integers(0, h - H + 1)) if self.mode == "crop" else 0
            ox = int(rng.integers(0, w - W + 1)) if self.mode == "crop" else 0
            picks.append((f, int(rng.integers(0, windows[f])), oy, ox))
        out = np.empty((n, self.T, H, W, 1 if self.gray else 3), np.uint8)
        for f in sorted({p[0] for p in picks}):
            self._fill(usable[f], [(i, s, oy, ox) for i, (g, s, oy, ox) in enumerate(picks) if g == f], out)
        return out
