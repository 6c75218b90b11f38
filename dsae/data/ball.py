"""Bouncing ball in an irregular polygon (DSAE §4.3, after KVAE, Fraccaro et al. 2017).

A ball of radius 3 moves without gravity or friction inside a fixed convex polygon and
bounces elastically off its (undrawn) walls. Frames are 32×32 grayscale, ball white on
black, anti-aliased. There is no static content, so in a DSAE the whole signal lives in
the dynamics z_1:T and f carries (almost) nothing.

Coordinates: x is the column and y the row, in pixel units; pixel (r, c) covers the
square [c, c+1) × [r, r+1), so its centre is (c + 0.5, r + 0.5). The simulation works in
a 32-unit world which is scaled to `size` pixels when rendering.

Pure: numpy + pymunk, no file IO. Deterministic by seed. Conventional seeds are
TRAIN_SEED (1234) and TEST_SEED (5678).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pymunk

VERSION = "ball-1"  # bump when the frames or positions a seed gives change
TRAIN_SEED = 1234
TEST_SEED = 5678

WORLD = 32.0  # side of the simulated square, world units
RADIUS = 3.0
DT = 0.2  # time between frames
SUBSTEPS = 20  # physics steps per frame (10 lets the ball gain ~1% speed off walls)
SPEED = (10.0, 15.0)  # uniform range, world units per unit time
START_MEAN, START_STD, START_CLIP = 16.0, 10.0, (6.0, 26.0)
POLYGON = np.array([(3, 1), (1, 15), (8, 30), (25, 30), (30, 8), (15, 1)], np.float64)

_BATCH = 256  # balls simulated together in one space (they never touch each other)


def _edge_distances(p: np.ndarray) -> np.ndarray:
    """Signed distance of points (…, 2) to each polygon edge line, positive inside. -> (…, 6)"""
    a, b = POLYGON, np.roll(POLYGON, -1, axis=0)  # (6, 2) edge ends
    d = b - a
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1) / np.linalg.norm(d, axis=1, keepdims=True)
    centroid = POLYGON.mean(axis=0)
    sign = np.sign(((centroid - a) * normal).sum(axis=1))  # orient normals inwards
    return ((p[..., None, :] - a) * normal).sum(axis=-1) * sign


def _initial_state(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and velocities (n, 2), each ball fully inside the polygon."""
    pos, vel = np.empty((n, 2)), np.empty((n, 2))
    for i in range(n):  # per-ball draws, so ball i does not depend on n
        while True:  # re-draw starts whose ball would overlap a wall
            p = np.clip(rng.normal(START_MEAN, START_STD, size=2), *START_CLIP)
            if _edge_distances(p).min() > RADIUS:
                break
        speed = rng.uniform(*SPEED)
        angle = rng.uniform(0.0, 2.0 * np.pi)
        pos[i], vel[i] = p, (speed * np.cos(angle), speed * np.sin(angle))
    return pos, vel


def simulate(pos0: np.ndarray, vel0: np.ndarray, T: int) -> np.ndarray:
    """Run the physics for balls starting at pos0/vel0 (n, 2). -> positions (n, T, 2) float64.

    All balls share one pymunk space but sit in one collision group, so they only
    collide with the walls and each trajectory is independent of the others.
    """
    n = len(pos0)
    space = pymunk.Space()
    space.gravity = (0.0, 0.0)
    space.collision_slop = 0.01  # small overlap tolerance keeps positions accurate
    for a, b in zip(POLYGON, np.roll(POLYGON, -1, axis=0)):
        wall = pymunk.Segment(space.static_body, tuple(a), tuple(b), 0.0)
        wall.elasticity, wall.friction = 1.0, 0.0
        space.add(wall)
    balls = []
    ball_filter = pymunk.ShapeFilter(group=1)
    for p, v in zip(pos0, vel0):
        body = pymunk.Body(1.0, float("inf"))  # no rotation: nothing to spin it anyway
        body.position, body.velocity = tuple(p), tuple(v)
        shape = pymunk.Circle(body, RADIUS)
        shape.elasticity, shape.friction, shape.filter = 1.0, 0.0, ball_filter
        space.add(body, shape)
        balls.append(body)
    out = np.empty((n, T, 2))
    h = DT / SUBSTEPS
    for t in range(T):
        if t:
            for _ in range(SUBSTEPS):
                space.step(h)
        out[:, t] = [tuple(b.position) for b in balls]
    return out


def render(positions: np.ndarray, size: int = 32) -> np.ndarray:
    """Anti-aliased white discs on black. positions (n, T, 2) world units -> uint8 (n, T, size, size, 1)."""
    scale = size / WORLD
    centres = np.arange(size, dtype=np.float32) + 0.5  # pixel centres, (size,)
    p = positions.astype(np.float32) * scale  # (n, T, 2)
    dx = centres[None, None, None, :] - p[..., 0, None, None]  # (n, T, 1, size)
    dy = centres[None, None, :, None] - p[..., 1, None, None]  # (n, T, size, 1)
    dist = np.sqrt(dx * dx + dy * dy)  # (n, T, size, size)
    cover = np.clip(RADIUS * scale + 0.5 - dist, 0.0, 1.0)  # ≈ area of the pixel inside the disc
    return np.rint(cover * 255.0).astype(np.uint8)[..., None]


def generate(
    n: int,
    seed: int,
    T: int = 30,
    size: int = 32,
    progress: Callable[[int], object] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """n sequences of T frames. -> (frames uint8 (n, T, size, size, 1), positions float32 (n, T, 2)).

    positions are ball centres (x = column, y = row) in pixels of the rendered frame.
    The i-th sequence depends only on (seed, i), not on n. `progress(k)` is called with
    the number of sequences just finished (e.g. a tqdm bar's `update`).
    """
    if n < 0 or T < 1 or size < 1:
        raise ValueError(f"need n >= 0, T >= 1, size >= 1; got n={n}, T={T}, size={size}")
    rng = np.random.default_rng(seed)
    pos0, vel0 = _initial_state(rng, n)
    frames = np.empty((n, T, size, size, 1), np.uint8)
    positions = np.empty((n, T, 2), np.float32)
    for s in range(0, n, _BATCH):
        e = min(n, s + _BATCH)
        traj = simulate(pos0[s:e], vel0[s:e], T)  # (b, T, 2) world units
        frames[s:e] = render(traj, size)
        positions[s:e] = traj * (size / WORLD)
        if progress is not None:
            progress(e - s)
    return frames, positions
