"""Bouncing-ball generator: shapes, determinism, physics sanity."""
import numpy as np
import pytest

from dsae.data import ball


@pytest.fixture(scope="module")
def data():
    return ball.generate(40, seed=ball.TRAIN_SEED)


def test_shapes_and_dtypes(data):
    frames, pos = data
    assert frames.shape == (40, 30, 32, 32, 1) and frames.dtype == np.uint8
    assert pos.shape == (40, 30, 2) and pos.dtype == np.float32
    f, p = ball.generate(3, seed=1, T=5, size=64)
    assert f.shape == (3, 5, 64, 64, 1) and p.shape == (3, 5, 2)


def test_deterministic_by_seed(data):
    frames, pos = data
    f2, p2 = ball.generate(40, seed=ball.TRAIN_SEED)
    assert np.array_equal(frames, f2) and np.array_equal(pos, p2)
    f3, _ = ball.generate(40, seed=ball.TEST_SEED)
    assert not np.array_equal(frames, f3)
    f4, p4 = ball.generate(10, seed=ball.TRAIN_SEED)  # sequence i does not depend on n
    assert np.array_equal(f4, frames[:10]) and np.array_equal(p4, pos[:10])


def test_ball_visible_and_inside_frame(data):
    frames, pos = data
    mass = frames[..., 0].astype(np.float64).sum(axis=(2, 3)) / 255  # (N, T) ≈ disc area
    assert np.allclose(mass, np.pi * ball.RADIUS**2, rtol=0.05)  # whole disc drawn: never cut by the border


def test_positions_in_bounds_and_in_polygon(data):
    _, pos = data
    assert pos.min() >= ball.RADIUS and pos.max() <= 32 - ball.RADIUS  # disc inside the frame
    dist = ball._edge_distances(pos.astype(np.float64)).min(-1)  # (N, T) distance to nearest wall
    assert dist.min() > ball.RADIUS - 0.5


def test_frame_centroid_matches_position(data):
    frames, pos = data
    img = frames[..., 0].astype(np.float64)  # (N, T, 32, 32)
    c = np.arange(32) + 0.5
    cx = (img.sum(2) * c).sum(-1) / img.sum((2, 3))
    cy = (img.sum(3) * c).sum(-1) / img.sum((2, 3))
    assert np.abs(cx - pos[..., 0]).max() < 0.2 and np.abs(cy - pos[..., 1]).max() < 0.2


def test_speed_conserved():
    rng = np.random.default_rng(0)
    p0, v0 = ball._initial_state(rng, 50)
    speed0 = np.linalg.norm(v0, axis=1)
    assert speed0.min() >= 10 and speed0.max() <= 15
    traj = ball.simulate(p0, v0, 30)  # (50, 30, 2)
    step = np.linalg.norm(np.diff(traj, axis=1), axis=-1) / ball.DT  # chord speed per frame
    far = ball._edge_distances(traj).min(-1)
    free = (far[:, 1:] > 6) & (far[:, :-1] > 6)  # no bounce possible between these frames
    ratio = (step / speed0[:, None])[free]
    assert ratio.size > 100 and np.abs(ratio - 1).max() < 0.01
    assert step.max() <= 15.2  # never faster than the top speed
