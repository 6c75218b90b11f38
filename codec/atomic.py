"""Atomic output that a kill cannot leave half-written, nor leave a temp file beside.

`atomic_write(path, write)` calls `write(tmp)` with a path inside a private staging directory
`dsae-stage-<pid>-*` in the system temp dir ($TMPDIR), so a writer may also make siblings there
(PyAV picks its muxer from `tmp + ".mp4"`). The finished file is fsync'ed, then published in one step:

1. staging and output on one filesystem: `os.replace`. Nothing but the output ever appears beside it.
2. otherwise, on Linux: the bytes are copied into an anonymous `O_TMPFILE` inode in the output's
   directory and linked in with `linkat`. A kill before the link leaves nothing. Over an existing
   output, a hidden name is linked and renamed over it: a window of two system calls.
3. otherwise: a hidden `.<name>.<pid>.<random>.tmp` beside the output, renamed over it.

SIGKILL runs no cleanup, so a killed writer can leave its staging directory (and, in case 3, its
pid-tagged hidden file). Each later `atomic_write` removes those whose process is gone and that are
older than `STALE_SECONDS`. Readers of the output see the old file, the new file, or none.
Large outputs are staged in full in $TMPDIR: point it at the output's filesystem to skip the copy.
"""
from __future__ import annotations

import errno
import functools
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

STAGE_PREFIX = "dsae-stage-"
STALE_SECONDS = 3600.0  # an orphan younger than this is kept (its owner may live in another pid namespace)


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> None:
    """Calls write(tmp_path) then publishes tmp_path as `path` in one step (see the module docstring)."""
    path = Path(path)
    sweep_stale(path)
    try:
        stage = tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-")
    except OSError:  # no usable temp dir: stage beside the output (a kill may then leave the directory)
        stage = tempfile.mkdtemp(prefix=f".{STAGE_PREFIX}{os.getpid()}-", dir=path.parent)
    try:
        tmp = os.path.join(stage, path.name)
        write(tmp)
        _fsync(tmp)
        _publish(tmp, path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _fsync(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(src: str, dst: Path) -> None:
    parent = dst.parent
    if os.stat(src).st_dev == os.stat(parent).st_dev:
        try:
            os.replace(src, dst)
            return
        except OSError as e:  # a bind mount of the same device still refuses cross-mount renames
            if e.errno != errno.EXDEV:
                raise
    if _publish_tmpfile(src, dst):
        return
    tmp = _sibling(dst)
    try:
        fo = open(tmp, "xb")
    except OSError as e:  # name the output, not the hidden temp file, in the error
        raise type(e)(e.errno, e.strerror, str(dst)) from None
    try:
        with open(src, "rb") as fi, fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
            fo.flush()
            os.fsync(fo.fileno())
        os.replace(tmp, dst)
    except BaseException:
        _unlink(tmp)
        raise


def _publish_tmpfile(src: str, dst: Path) -> bool:
    """Linux: copy into an unnamed inode in dst's directory and link it in. False if unsupported here."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        fd = os.open(dst.parent, flag | os.O_WRONLY, 0o666)
    except OSError:  # e.g. EOPNOTSUPP: the filesystem has no O_TMPFILE
        return False
    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    try:
        with open(src, "rb") as fi, os.fdopen(os.dup(fd), "wb") as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
            fo.flush()
            os.fsync(fo.fileno())
        # linkat(AT_SYMLINK_FOLLOW) on the magic link; a src_dir_fd makes Python call linkat, not link(2)
        link = functools.partial(os.link, f"self/fd/{fd}", src_dir_fd=proc, follow_symlinks=True)
        try:
            link(dst)
        except FileExistsError:  # linkat cannot replace: link a hidden name, rename it over the output
            tmp = _sibling(dst)
            link(tmp)
            try:
                os.replace(tmp, dst)
            except BaseException:
                _unlink(tmp)
                raise
    finally:
        os.close(proc)
        os.close(fd)
    return True


def _sibling(dst: Path) -> Path:
    return dst.parent / f".{dst.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"


def _unlink(p) -> None:
    try:
        os.unlink(p)
    except FileNotFoundError:
        pass


def _pid_of(name: str, prefix: str) -> int | None:
    head = name[len(prefix):].split("-" if prefix.endswith("-") else ".", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def sweep_stale(path: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Removes orphans of killed writers: staging dirs in the temp dir and `.<name>.<pid>.*.tmp` beside
    `path`, when their pid is gone and they are older than STALE_SECONDS. Returns what it removed."""
    now = time.time() if now is None else now
    path = Path(path)
    spots = [(Path(tempfile.gettempdir()), STAGE_PREFIX), (path.parent, f".{STAGE_PREFIX}"),
             (path.parent, f".{path.name}.")]
    removed = []
    for where, prefix in spots:
        try:
            names = [n for n in os.listdir(where) if n.startswith(prefix)]
        except OSError:
            continue
        for n in names:
            p = where / n
            pid = _pid_of(n, prefix)
            if pid is None or pid == os.getpid() or _alive(pid):
                continue
            if prefix == f".{path.name}." and not n.endswith(".tmp"):
                continue
            try:
                if now - p.lstat().st_mtime < STALE_SECONDS:
                    continue
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p)
                else:
                    p.unlink()
                removed.append(p)
            except OSError:
                continue
    return removed
