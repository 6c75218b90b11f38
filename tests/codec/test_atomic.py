"""codec.atomic: a writer killed at the worst moment leaves the old output or none, and nothing beside it."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from codec import atomic
from codec.atomic import STAGE_PREFIX, atomic_write, sweep_stale

# Loads codec/atomic.py alone (no torch import), then writes through it with a callback that may kill.
CHILD = r"""
import importlib.util, os, signal, sys
spec = importlib.util.spec_from_file_location("atomic", sys.argv[1])
atomic = importlib.util.module_from_spec(spec); spec.loader.exec_module(atomic)
out, when = sys.argv[2], sys.argv[3]
def die(*a, **k): os.kill(os.getpid(), signal.SIGKILL)
if when == "link":
    os.link = die
def write(tmp):
    with open(tmp, "wb") as fo:
        fo.write(b"new" * 1000)
        if when == "write": die()
    open(tmp + ".mp4", "wb").write(b"side file")  # as PyAV callers do
    if when == "after-write": die()
atomic.atomic_write(out, write)
"""


def other_filesystem(path: Path) -> Path | None:
    """A writable directory on another filesystem than `path` (/dev/shm), or None."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and os.stat(shm).st_dev != os.stat(path).st_dev:
        return shm
    return None


def run_child(out: Path, when: str, tmpdir: Path) -> int:
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    p = subprocess.run([sys.executable, "-c", CHILD, atomic.__file__, str(out), when], env=env, timeout=60)
    return p.returncode


@pytest.mark.parametrize("fs", ["same-fs", "cross-fs"])
@pytest.mark.parametrize("when", ["write", "after-write", "link", "never"])
@pytest.mark.parametrize("existing", [False, True])
def test_kill_leaves_old_or_new_output_and_nothing_beside(tmp_path, fs, when, existing):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    if fs == "same-fs":
        stage_root = tmp_path / "tmp"
    else:
        other = other_filesystem(tmp_path)
        if other is None:
            pytest.skip("no second filesystem for the staging directory")
        stage_root = Path(tempfile.mkdtemp(dir=other))
    if when == "link" and fs == "same-fs":
        pytest.skip("same filesystem: publishing is one rename, no link")
    stage_root.mkdir(exist_ok=True)
    out = out_dir / "clip.bin"
    if existing:
        out.write_bytes(b"old")
    try:
        rc = run_child(out, when, stage_root)
        assert rc == (0 if when == "never" else -signal.SIGKILL)
        names = os.listdir(out_dir)
        if when == "never":
            assert names == ["clip.bin"] and out.read_bytes() == b"new" * 1000
            assert os.listdir(stage_root) == []
        else:
            assert names == (["clip.bin"] if existing else []), names
            if existing:
                assert out.read_bytes() == b"old"
            assert all(n.startswith(STAGE_PREFIX) for n in os.listdir(stage_root))
    finally:
        if fs == "cross-fs":
            import shutil
            shutil.rmtree(stage_root, ignore_errors=True)


def test_output_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.bin", lambda tmp: Path(tmp).write_bytes(b"x"))
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "out").mkdir()

    def boom(tmp):
        Path(tmp).write_bytes(b"partial")
        raise RuntimeError("encoder failed")
    with pytest.raises(RuntimeError):
        atomic_write(tmp_path / "out" / "a.bin", boom)
    assert os.listdir(tmp_path / "out") == [] and os.listdir(tmp_path / "tmp") == []


def test_sweep_removes_only_old_orphans_of_dead_writers(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid, live_pid = int(dead.stdout), os.getppid()
    old = time.time() - 2 * atomic.STALE_SECONDS
    made = {}
    for label, root, name in [("dead-old", tmp_path / "tmp", f"{STAGE_PREFIX}{dead_pid}-abc"),
                              ("dead-young", tmp_path / "tmp", f"{STAGE_PREFIX}{dead_pid}-young"),
                              ("live-old", tmp_path / "tmp", f"{STAGE_PREFIX}{live_pid}-abc"),
                              ("sibling-dead-old", tmp_path, f".a.bin.{dead_pid}.0badf00d.tmp"),
                              ("other-name", tmp_path, f".b.bin.{dead_pid}.0badf00d.tmp")]:
        p = root / name
        p.mkdir() if label.startswith(("dead", "live")) else p.write_bytes(b"")
        if label != "dead-young":
            os.utime(p, (old, old))
        made[label] = p
    atomic_write(tmp_path / "a.bin", lambda tmp: Path(tmp).write_bytes(b"x"))
    gone = {k for k, p in made.items() if not p.exists()}
    assert gone == {"dead-old", "sibling-dead-old"}
    assert sweep_stale(tmp_path / "a.bin") == []
