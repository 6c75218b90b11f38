"""Tiles and segments: any frame size and any length onto a model's fixed (T, H, W) input.

A clip of N frames of size height x width is cut into segments of T frames (the last may be shorter) and
each frame into a tiles_y x tiles_x grid of tile_h x tile_w tiles, edge-padded at the right and bottom.
Each (segment, tile) pair is one sequence with its own f. File order: segment-major, then tiles row-major.
With `fit`, frames are instead resized to the tile size (a thumbnail codec) and resized back on decode.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Layout:
    n_frames: int
    height: int
    width: int
    tile_h: int
    tile_w: int
    T: int
    fit: bool = False

    @property
    def tiles_y(self) -> int:
        return 1 if self.fit else math.ceil(self.height / self.tile_h)

    @property
    def tiles_x(self) -> int:
        return 1 if self.fit else math.ceil(self.width / self.tile_w)

    @property
    def n_tiles(self) -> int:
        return self.tiles_x * self.tiles_y

    @property
    def n_time(self) -> int:
        return math.ceil(self.n_frames / self.T)

    @property
    def n_sequences(self) -> int:
        return self.n_time * self.n_tiles

    def segment_frames(self, s: int) -> tuple[int, int]:
        """Frame range [a, b) of time segment s."""
        return s * self.T, min((s + 1) * self.T, self.n_frames)

    def batches(self, max_batch: int) -> list[tuple[int, int]]:
        """Consecutive sequence ranges [a, b) of equal length, at most max_batch each: the grouping that both
        the encoder and the decoder use, so the prior always runs on identical batches."""
        out = []
        full = (self.n_frames // self.T) * self.n_tiles
        for lo, hi in ((0, full), (full, self.n_sequences)):
            for a in range(lo, hi, max_batch):
                out.append((a, min(a + max_batch, hi)))
        return out

    def length_of(self, seq: int) -> int:
        a, b = self.segment_frames(seq // self.n_tiles)
        return b - a


def resize(frames: np.ndarray, h: int, w: int) -> np.ndarray:
    """uint8 (N, H, W, C) -> (N, h, w, C), antialiased bilinear."""
    if frames.shape[1:3] == (h, w):
        return frames
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    y = F.interpolate(x, size=(h, w), mode="bilinear", antialias=True, align_corners=False)
    return y.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


def to_channels(frames: np.ndarray, channels: int) -> np.ndarray:
    """RGB (N, H, W, 3) -> the model's channels (grey by BT.601 luma when channels == 1)."""
    if channels == 3:
        return frames
    y = frames.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(np.round(y), 0, 255).astype(np.uint8)[..., None]


def from_channels(frames: np.ndarray) -> np.ndarray:
    return np.repeat(frames, 3, axis=-1) if frames.shape[-1] == 1 else frames


def split(frames: np.ndarray, lay: Layout, seqs: range, offset: int = 0) -> list[np.ndarray]:
    """Sequences seqs of a clip -> list of (T_s, tile_h, tile_w, C) arrays. `frames` holds the clip's frames
    from index `offset` on (N', H, W, C), enough to cover the requested sequences."""
    if lay.fit:
        frames = resize(frames, lay.tile_h, lay.tile_w)
    else:
        ph = lay.tiles_y * lay.tile_h - lay.height
        pw = lay.tiles_x * lay.tile_w - lay.width
        if ph or pw:
            frames = np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge")
    out = []
    for q in seqs:
        a, b = lay.segment_frames(q // lay.n_tiles)
        ty, tx = divmod(q % lay.n_tiles, lay.tiles_x)
        y0, x0 = ty * lay.tile_h, tx * lay.tile_w
        out.append(frames[a - offset:b - offset, y0:y0 + lay.tile_h, x0:x0 + lay.tile_w])
    return out


def assemble_segment(tiles: list[np.ndarray], lay: Layout) -> np.ndarray:
    """The n_tiles sequences of one time segment (raster order) -> its frames (T_s, height, width, C)."""
    T_s, C = tiles[0].shape[0], tiles[0].shape[-1]
    out = np.empty((T_s, lay.tiles_y * lay.tile_h, lay.tiles_x * lay.tile_w, C), np.uint8)
    for k, t in enumerate(tiles):
        ty, tx = divmod(k, lay.tiles_x)
        out[:, ty * lay.tile_h:(ty + 1) * lay.tile_h, tx * lay.tile_w:(tx + 1) * lay.tile_w] = t
    if lay.fit:
        return resize(out, lay.height, lay.width)
    return out[:, : lay.height, : lay.width]


def assemble(tiles: list[np.ndarray], lay: Layout) -> np.ndarray:
    """All sequences in file order -> the clip (N, height, width, C)."""
    n = lay.n_tiles
    return np.concatenate([assemble_segment(tiles[s * n:(s + 1) * n], lay) for s in range(lay.n_time)])
