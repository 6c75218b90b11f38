"""Procedural Sprites: 64×64 RGB pixel-art characters with known factors (DSAE §4.1).

The DSAE paper uses LPC sprite sheets, which cannot be had offline; this generator keeps
the same factor structure so that disentanglement can be measured the same way:
  - identity = 4 attributes (skin, top, pants, hair) × N_VARIANTS = 6 each -> 1,296 characters,
    the static content that f should carry;
  - action = {walk, spellcast, slash} × {front, left, right} -> 9 actions of T = 8 frames,
    the dynamics that z_1:T should carry.
Hair variants differ in colour and shape; tops in colour, pattern and sleeve length; pants
in colour and length; skin in tone. Background is black.

Pure: numpy only, no file IO. Drawing lives in dsae.data.sprite_art; this module holds the
palettes and the public API.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from . import sprite_art as art

VERSION = "sprites-1"  # bump when the frames an (identity, action) gives change
N_VARIANTS = 6
ATTRIBUTES = ("skin", "top", "pants", "hair")
ACTIONS = tuple(f"{m}_{d}" for m in art.MOVES for d in art.DIRECTIONS)  # 9, action = move*3 + dir
N_IDENTITIES = N_VARIANTS ** len(ATTRIBUTES)  # 1296
N_TRAIN = 1000
T, SIZE = art.T, art.SIZE

SKIN_TONES = [(255, 219, 190), (236, 188, 150), (212, 160, 112), (176, 122, 82), (132, 86, 56), (88, 58, 40)]
# top: (colour, accent, long sleeves, pattern)
TOPS = [
    ((200, 40, 40), None, True, "plain"),  # red tunic
    ((40, 90, 200), (235, 235, 245), False, "stripes"),  # blue, white stripes
    ((40, 140, 60), (235, 195, 60), True, "trim"),  # green, gold collar and belt
    ((235, 235, 222), None, False, "plain"),  # white tee
    ((125, 55, 165), (60, 20, 90), True, "stripes"),  # purple, dark stripes
    ((242, 168, 30), (150, 60, 20), False, "trim"),  # orange, brown collar
]
# pants: (colour, shorts)
PANTS = [((40, 60, 125), False), ((112, 72, 40), False), ((48, 48, 54), False),
         ((192, 172, 122), True), ((60, 112, 60), False), ((142, 30, 52), True)]
HAIR = [(28, 22, 22), (240, 208, 110), (212, 92, 30), (205, 60, 185), (112, 66, 30), (215, 215, 225)]
# hair variant k has shape art.HAIR_SHAPES[k]: short, long, spiky, mohawk, ponytail, bun

_FIXED = {
    art.BG: (0, 0, 0), art.OUTLINE: (20, 16, 28), art.EYE: (20, 20, 40), art.SHOE: (70, 44, 26),
    art.BLADE: (205, 212, 225), art.HILT: (160, 118, 40), art.MAGIC: (80, 190, 255),
    art.MAGIC_CORE: (235, 250, 255),
}


def _shade(c, k=0.68):
    return tuple(int(round(v * k)) for v in c)


def identity_attributes(i: int) -> tuple[int, int, int, int]:
    """Identity index -> (skin, top, pants, hair) variants; i = ((skin*6 + top)*6 + pants)*6 + hair."""
    if not 0 <= int(i) < N_IDENTITIES:
        raise ValueError(f"identity must be in [0, {N_IDENTITIES}), got {i}")
    i = int(i)
    return (i // 216, (i // 36) % 6, (i // 6) % 6, i % 6)


def palette(identity: int) -> np.ndarray:
    """Colour of every label-map material for one identity. -> uint8 (N_LABELS, 3)"""
    skin_v, top_v, pants_v, hair_v = identity_attributes(identity)
    pal = np.zeros((art.N_LABELS, 3), np.uint8)
    for label, c in _FIXED.items():
        pal[label] = c
    skin = SKIN_TONES[skin_v]
    top, accent, long_sleeves, pattern = TOPS[top_v]
    pants, shorts = PANTS[pants_v]
    forearm = top if long_sleeves else skin
    shin = skin if shorts else pants
    pal[art.SKIN], pal[art.SKIN_SHADE], pal[art.MOUTH] = skin, _shade(skin, 0.82), _shade(skin, 0.6)
    pal[art.TOP], pal[art.TOP_SHADE] = top, _shade(top)
    pal[art.TOP_STRIPE] = accent if pattern == "stripes" else top
    pal[art.TOP_TRIM] = accent if pattern == "trim" else _shade(top, 0.85)
    pal[art.BELT] = accent if pattern == "trim" else (58, 36, 22)
    pal[art.FOREARM], pal[art.FOREARM_SHADE] = forearm, _shade(forearm)
    pal[art.PANTS], pal[art.PANTS_SHADE] = pants, _shade(pants)
    pal[art.SHIN], pal[art.SHIN_SHADE] = shin, _shade(shin)
    pal[art.HAIR], pal[art.HAIR_SHADE] = HAIR[hair_v], _shade(HAIR[hair_v], 0.8)
    return pal


def split_identities(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed split of the 1,296 identities. -> (train ids (1000,), test ids (296,)), each sorted int64."""
    perm = np.random.default_rng(seed).permutation(N_IDENTITIES)
    return np.sort(perm[:N_TRAIN]), np.sort(perm[N_TRAIN:])


def render(identity: int, action: int) -> np.ndarray:
    """One sequence. -> uint8 (T=8, 64, 64, 3)"""
    if not 0 <= int(action) < len(ACTIONS):
        raise ValueError(f"action must be in [0, {len(ACTIONS)}), got {action}")
    hair_v = identity_attributes(identity)[3]
    return palette(identity)[art.label_maps()[int(action), hair_v]]  # (T, 64, 64, 3)


def generate(
    identities: Iterable[int],
    actions: Iterable[int] = range(len(ACTIONS)),
    progress: Callable[[int], object] | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """All (identity, action) sequences, identity-major.

    -> frames uint8 (N, T, 64, 64, 3) with N = len(identities) * len(actions), and labels:
    int64 arrays (N,) 'skin', 'top', 'pants', 'hair', 'action', 'identity'. Every frame
    carries its sequence's labels. `progress(k)` is called with the number of sequences
    just rendered (e.g. a tqdm bar's `update`).
    """
    ids = np.asarray(list(identities), np.int64)
    acts = np.asarray(list(actions), np.int64)
    for a in acts:
        if not 0 <= a < len(ACTIONS):
            raise ValueError(f"action must be in [0, {len(ACTIONS)}), got {a}")
    attrs = np.array([identity_attributes(i) for i in ids], np.int64).reshape(-1, 4)  # (I, 4)
    maps = art.label_maps()  # (9, 6, T, 64, 64)
    n = len(ids) * len(acts)
    frames = np.empty((n, T, SIZE, SIZE, 3), np.uint8)
    for k, i in enumerate(ids):
        sel = maps[acts, attrs[k, 3]]  # (A, T, 64, 64) labels
        frames[k * len(acts):(k + 1) * len(acts)] = palette(i)[sel]
        if progress is not None:
            progress(len(acts))
    labels = {name: np.repeat(attrs[:, j], len(acts)) for j, name in enumerate(ATTRIBUTES)}
    labels["action"] = np.tile(acts, len(ids))
    labels["identity"] = np.repeat(ids, len(acts))
    return frames, labels
