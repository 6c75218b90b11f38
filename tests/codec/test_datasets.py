"""codec.datasets: cached builds (tiny counts in a temp cache) and VideoFolderDataset on a tiny mp4."""
import json

import av
import numpy as np
import pytest

from codec import datasets


@pytest.fixture
def small(tmp_path, monkeypatch):
    monkeypatch.setenv("DSAE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "BALL_COUNTS", {"train": 6, "test": 4})
    monkeypatch.setattr(datasets, "SPRITES_MAX_IDENTITIES", 2)
    return tmp_path / "cache"


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("DSAE_CACHE", str(tmp_path))
    assert datasets.cache_dir() == tmp_path
    monkeypatch.delenv("DSAE_CACHE")
    assert datasets.cache_dir().parts[-3:] == (".cache", "dsae-codec", "datasets")


def test_ball_build_load_verify(small):
    d = datasets.load("bouncing-ball", "test")  # builds on first use
    assert d["frames"].shape == (4, 30, 32, 32, 1) and d["positions"].shape == (4, 30, 2)
    assert sorted(p.name for p in small.iterdir()) == [
        "bouncing-ball-test.npz", "bouncing-ball-train.npz", "bouncing-ball.json"]
    assert datasets.verify("bouncing-ball")
    from dsae.data import ball
    f, _ = ball.generate(6, ball.TRAIN_SEED)
    assert np.array_equal(datasets.load("bouncing-ball", "train")["frames"], f)
    mtime = (small / "bouncing-ball-train.npz").stat().st_mtime_ns
    datasets.build("bouncing-ball")  # up to date: nothing rewritten
    assert (small / "bouncing-ball-train.npz").stat().st_mtime_ns == mtime
    with open(small / "bouncing-ball-train.npz", "r+b") as fh:  # corrupt one byte
        fh.seek(-10, 2)
        b = fh.read(1)
        fh.seek(-10, 2)
        fh.write(bytes([b[0] ^ 1]))
    assert not datasets.verify("bouncing-ball")
    datasets.build("bouncing-ball", force=True, progress=False)
    assert datasets.verify("bouncing-ball")


def test_stale_manifest_rebuilds(small, monkeypatch):
    datasets.build("bouncing-ball", progress=False)
    monkeypatch.setattr(datasets, "BALL_COUNTS", {"train": 3, "test": 2})
    assert not datasets.verify("bouncing-ball")
    assert datasets.load("bouncing-ball", "train")["frames"].shape[0] == 3
    manifest = json.loads((small / "bouncing-ball.json").read_text())
    assert manifest["plan"]["generator"] and len(manifest["files"]["test"]["sha256"]) == 64


def test_sprites_build_load(small):
    d = datasets.load("sprites", "train")
    assert d["frames"].shape == (18, 8, 64, 64, 3) and d["frames"].dtype == np.uint8
    assert set(d) == {"frames", "skin", "top", "pants", "hair", "action", "identity"}
    test = datasets.load("sprites", "test")
    assert not set(d["identity"]) & set(test["identity"])
    assert datasets.verify("sprites")


def test_bad_names(small):
    with pytest.raises(ValueError, match="unknown dataset"):
        datasets.load("mnist", "train")
    with pytest.raises(ValueError, match="unknown split"):
        datasets.load("sprites", "val")


def _write_mp4(path, n=16, w=48, h=40):
    with av.open(str(path), "w") as c:
        st = c.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        st.options = {"crf": "10"}
        for t in range(n):  # a bright square moving right, on a gradient
            img = np.tile(np.linspace(0, 120, w, dtype=np.uint8)[None, :, None], (h, 1, 3))
            img[10:20, 2 * t:2 * t + 10] = (250, 200, 50)
            for pkt in st.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pkt)
        for pkt in st.encode():
            c.mux(pkt)


@pytest.fixture
def video_dir(tmp_path):
    (tmp_path / "sub").mkdir()
    _write_mp4(tmp_path / "sub" / "clip.mp4")
    (tmp_path / "notes.txt").write_text("not a video")
    return tmp_path


def test_video_resize(video_dir):
    ds = datasets.VideoFolderDataset(video_dir, T=8, size=(20, 24))
    assert [p.name for p in ds.files] == ["clip.mp4"]
    assert ds.info(ds.files[0]) == (16, 40, 48)
    x = ds.clips(5, seed=3)
    assert x.shape == (5, 8, 20, 24, 3) and x.dtype == np.uint8
    assert np.array_equal(x, ds.clips(5, seed=3))
    assert x.max() > 200  # the bright square survives the resize
    g = datasets.VideoFolderDataset(video_dir, T=8, size=(20, 24), gray=True).clips(5, seed=3)
    assert g.shape == (5, 8, 20, 24, 1)


def test_video_crop(video_dir):
    ds = datasets.VideoFolderDataset(video_dir, T=4, size=(32, 32), mode="crop")
    x = ds.clips(6, seed=0)
    assert x.shape == (6, 4, 32, 32, 3)
    assert not np.array_equal(x, ds.clips(6, seed=1))
    full = datasets.VideoFolderDataset(video_dir, T=16, size=(40, 48), mode="crop").clips(1, seed=0)[0]
    # every crop is a window of the full decoded video
    assert any(np.array_equal(x[0], full[s:s + 4, oy:oy + 32, ox:ox + 32])
               for s in range(13) for oy in range(9) for ox in range(17))
    with pytest.raises(ValueError, match="has 4 frames of at least 64x64"):
        datasets.VideoFolderDataset(video_dir, T=4, size=(64, 64), mode="crop").clips(1, seed=0)


def test_video_errors(tmp_path, video_dir):
    with pytest.raises(ValueError, match="not a directory"):
        datasets.VideoFolderDataset(tmp_path / "missing", T=2, size=8)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no video files"):
        datasets.VideoFolderDataset(tmp_path / "empty", T=2, size=8)
    (video_dir / "broken.mkv").write_bytes(b"\x00" * 100)
    ds = datasets.VideoFolderDataset(video_dir, T=2, size=8)
    with pytest.raises(ValueError, match="cannot read video .*broken.mkv"):
        ds.clips(1, seed=0)


def test_video_header_overcounts_frames(video_dir):
    ds = datasets.VideoFolderDataset(video_dir, T=8, size=(40, 48))
    full = ds.clips(1, seed=0)  # warms the header cache
    ds._info[ds.files[0]] = (40, 40, 48)  # header claims more frames than the stream holds
    x = ds.clips(20, seed=0)
    last = datasets.VideoFolderDataset(video_dir, T=16, size=(40, 48)).clips(1, seed=0)[0, 8:]
    assert full.shape == (1, 8, 40, 48, 3)
    assert any(np.array_equal(c, last) for c in x)  # late windows fall back to the last T frames
