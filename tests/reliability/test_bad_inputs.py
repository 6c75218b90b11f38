"""Bad-input matrix through the CLI in-process: each case names its error class and exit code (tools/cli.py).

Every failing case must print exactly one line `error: ...` and no traceback, and leave no new file (no
partial output, no temp file) beside its inputs. The error class is read from the exception that is being
handled when the CLI prints its line.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from fractions import Fraction
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.fuzz import join, split
from bitstream import pack, unpack
from codec import api
from codec.media import write_video
from tools.cli import main

TINY = "tiny-dsae-factorised"
CASES: dict = {}


def case(code: int, error: str | tuple, match: str = ""):
    """Registers a builder `fn(env) -> argv` with its expected exit code, error class(es) and message part."""
    def deco(fn):
        CASES[fn.__name__] = (fn, code, (error,) if isinstance(error, str) else error, match)
        return fn
    return deco


class Env:
    """Inputs for one case, all under tmp_path; `good_bin` is a valid 16x16x4 stream of the tiny model."""

    def __init__(self, tmp_path: Path, models: Path):
        self.dir, self.models = tmp_path, models
        self.clip = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
        self.video = tmp_path / "clip.mp4"
        write_video(self.video, self.clip, Fraction(24))
        self.good_bin = api.encode_frames(self.clip, Fraction(24), model=TINY)

    def file(self, name: str, data: bytes | str) -> Path:
        p = self.dir / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    def out(self, name: str) -> Path:
        return self.dir / name

    def bin_with(self, **header_changes) -> Path:
        h, segs = unpack(self.good_bin)
        return self.file("edited.bin", pack(dataclasses.replace(h, **header_changes), segs))

    def raw_header(self, **changes) -> Path:
        """A stream whose header JSON is edited past the writer's checks (header CRC still correct)."""
        prefix, header, segs = split(self.good_bin)
        return self.file("raw.bin", join(prefix, json.dumps({**json.loads(header), **changes}).encode(), segs))


# ---- encode: unreadable or unusable media ----

@case(1, "MediaError", "cannot read")
def enc_empty_file(e):
    return ["encode", e.file("empty.mp4", b""), "-o", e.out("a.bin"), "--model", TINY]


@case(1, "MediaError", "cannot read")
def enc_random_bytes(e):
    return ["encode", e.file("noise.mp4", np.random.default_rng(1).bytes(4096)), "-o", e.out("a.bin")]


@case(1, "MediaError", "cannot read")
def enc_text_file(e):
    return ["encode", e.file("notes.txt", "just some text\n" * 20), "-o", e.out("a.bin"), "--model", TINY]


@case(1, "MediaError", "No such file")
def enc_missing_input(e):
    return ["encode", e.dir / "missing.mp4", "-o", e.out("a.bin"), "--model", TINY]


@case(1, "MediaError", "cannot read")
def enc_truncated_mp4(e):
    data = e.video.read_bytes()
    return ["encode", e.file("cut.mp4", data[: len(data) * 6 // 10]), "-o", e.out("a.bin"), "--model", TINY]


@case(1, "CliError", "audio-only")
def enc_audio_only_mp4(e):
    import av
    p = e.dir / "tone.mp4"
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=16000)
        fr = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.float32), format="fltp", layout="mono")
        fr.sample_rate = 16000
        for pkt in list(s.encode(fr)) + list(s.encode(None)):
            c.mux(pkt)
    return ["encode", p, "-o", e.out("a.bin"), "--model", TINY]


def _zero_frames(path: Path, codec: str, pix_fmt: str) -> Path:
    import av
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=24)
        s.width = s.height = 16
        s.pix_fmt = pix_fmt
        c.start_encoding()
    return path


@case(1, "MediaError", "no video")
def enc_zero_frame_mp4(e):
    return ["encode", _zero_frames(e.dir / "zero.mp4", "libx264rgb", "rgb24"), "-o", e.out("a.bin"), "--model", TINY]


@case(1, "MediaError", "cannot read")
def enc_zero_frame_mkv(e):
    return ["encode", _zero_frames(e.dir / "zero.mkv", "ffv1", "bgr0"), "-o", e.out("a.bin"), "--model", TINY]


@case(1, "MediaError", "4097x4097 exceeds")
def enc_video_4097x4097(e):
    import av
    p = e.dir / "big.mkv"  # one black 4097x4097 FFV1 frame: about 12 KB on disk
    with av.open(str(p), "w") as c:
        s = c.add_stream("ffv1", rate=1)
        s.width = s.height = 4097
        s.pix_fmt = "gray"
        for pkt in list(s.encode(av.VideoFrame.from_ndarray(np.zeros((4097, 4097), np.uint8), format="gray"))) \
                + list(s.encode(None)):
            c.mux(pkt)
    return ["encode", p, "-o", e.out("a.bin"), "--model", TINY]


@case(1, "MediaError", "quality")
def enc_quality_out_of_range(e):
    return ["encode", e.video, "-o", e.out("a.bin"), "--model", TINY, "--quality", "99"]


# ---- encode: models, weights, devices ----

@case(5, "ModelError", "unknown model")
def enc_unknown_model(e):
    return ["encode", e.video, "-o", e.out("a.bin"), "--model", "no-such-model"]


@case(5, "WeightsError", "NaN")
def enc_nan_weights(e):
    from safetensors import safe_open
    from safetensors.torch import save_file
    with safe_open(str(e.models / f"{TINY}.safetensors"), framework="pt") as fo:
        meta, tensors = fo.metadata(), {k: fo.get_tensor(k) for k in fo.keys()}
    key = next(k for k, v in tensors.items() if v.is_floating_point() and not k.startswith("coding."))
    tensors[key].view(-1)[0] = float("nan")
    save_file(tensors, str(e.dir / "nan.safetensors"), metadata=meta)
    return ["encode", e.video, "-o", e.out("a.bin"), "--model", e.dir / "nan.safetensors"]


@case(5, "WeightsError", "cannot read weights")
def enc_truncated_weights(e):
    data = (e.models / f"{TINY}.safetensors").read_bytes()
    return ["encode", e.video, "-o", e.out("a.bin"), "--model", e.file("cut.safetensors", data[: len(data) // 2])]


@case(6, "DeviceError", "CUDA is not available")
def enc_device_cuda_without_cuda(e):
    return ["encode", e.video, "-o", e.out("a.bin"), "--model", TINY, "--device", "cuda"]


# ---- encode: outputs ----

@case(4, "OutputError", "does not exist")
def enc_output_in_missing_dir(e):
    return ["encode", e.video, "-o", e.dir / "nowhere" / "a.bin", "--model", TINY]


@case(4, "OutputError", "exists")
def enc_output_exists_without_force(e):
    e.file("a.bin", b"keep me")
    return ["encode", e.video, "-o", e.out("a.bin"), "--model", TINY]


@case(4, ("OutputError", "PermissionError"), "")
def enc_output_in_read_only_dir(e):
    return ["encode", e.video, "-o", unwritable_dir(e.dir) / "a.bin", "--model", TINY]


# ---- decode: streams ----

@case(3, "TruncatedError", "prefix")
def dec_empty_file(e):
    return ["decode", e.file("empty.bin", b""), "-o", e.out("o.mkv")]


@case(3, "BadMagicError", "not a dsae-codec file")
def dec_random_bytes(e):
    return ["decode", e.file("noise.bin", np.random.default_rng(2).bytes(4096)), "-o", e.out("o.mkv")]


@case(3, "BadMagicError", "not a dsae-codec file")
def dec_text_file(e):
    return ["decode", e.file("notes.bin", "hello world\n" * 10), "-o", e.out("o.mkv")]


@case(3, "BadMagicError", "not a dsae-codec file")
def dec_mp4_renamed_bin(e):
    return ["decode", e.file("clip.bin", e.video.read_bytes()), "-o", e.out("o.mkv")]


@case(3, "TruncatedError", "")
def dec_truncated_stream(e):
    return ["decode", e.file("cut.bin", e.good_bin[:-5]), "-o", e.out("o.mkv")]


@case(3, "ChecksumError", "header CRC32")
def dec_header_crc_mismatch(e):
    b = bytearray(e.good_bin)
    b[14] ^= 0x10
    return ["decode", e.file("crc.bin", bytes(b)), "-o", e.out("o.mkv")]


@case(3, "UnsupportedVersionError", "2.x is newer than this decoder")
def dec_future_major_version(e):
    return ["decode", e.file("v2.bin", e.good_bin[:4] + b"\x02" + e.good_bin[5:]), "-o", e.out("o.mkv")]


@case(3, "LimitError", "width=4097 exceeds 4096")
def dec_header_declares_4097x4097(e):
    return ["decode", e.raw_header(width=4097, height=4097, tiles_x=257, tiles_y=257), "-o", e.out("o.mkv")]


@case(3, "HeaderError", "must be int")
def dec_header_wrong_type(e):
    return ["decode", e.raw_header(n_frames="4"), "-o", e.out("o.mkv")]


@case(3, "DesyncError", "symbol CRC32 mismatch")
def dec_symbol_crc_mismatch(e):
    prefix, header, segs = split(e.good_bin)
    segs[0] = bytes([segs[0][0] ^ 1]) + segs[0][1:]  # the stored symbol CRC; segment CRC recomputed
    return ["decode", e.file("desync.bin", join(prefix, header, segs)), "-o", e.out("o.mkv")]


@case(3, "BadMagicError", "not a dsae-codec file")
def info_on_garbage(e):
    return ["info", e.file("noise.bin", b"\x00" * 64)]


# ---- decode: models, media kinds, outputs ----

@case(5, "ModelError", "unknown model")
def dec_unknown_model_in_header(e):
    return ["decode", e.bin_with(model="no-such-model"), "-o", e.out("o.mkv")]


@case(5, "ModelError", "sha256")
def dec_weights_sha256_mismatch(e):
    return ["decode", e.bin_with(weights_sha256="0123456789abcdef"), "-o", e.out("o.mkv")]


@case(1, "MediaError", "holds audio")
def dec_audio_stream_to_video_decoder(e):
    return ["decode", e.bin_with(media="audio", width=0, height=0, fit=True, sample_rate=16000, n_samples=16000),
            "-o", e.out("o.mkv")]


@case(6, "DeviceError", "CUDA is not available")
def dec_device_cuda_without_cuda(e):
    return ["decode", e.file("a.bin", e.good_bin), "-o", e.out("o.mkv"), "--device", "cuda"]


@case(1, "FileNotFoundError", "file not found")
def dec_missing_input(e):
    return ["decode", e.dir / "missing.bin", "-o", e.out("o.mkv")]


@case(4, "OutputError", "exists")
def dec_output_exists_without_force(e):
    e.file("o.mkv", b"keep me")
    return ["decode", e.file("a.bin", e.good_bin), "-o", e.out("o.mkv")]


@case(4, "OutputError", "does not exist")
def dec_output_in_missing_dir(e):
    return ["decode", e.file("a.bin", e.good_bin), "-o", e.dir / "nowhere" / "o.mkv"]


@case(1, "MediaError", "unsupported output extension")
def dec_unsupported_output_extension(e):
    return ["decode", e.file("a.bin", e.good_bin), "-o", e.out("o.xyz")]


# ---- running the matrix ----

def unwritable_dir(tmp: Path) -> Path:
    """A directory this process cannot create files in. As root, mode bits do not stop writes, so fall
    back to sysfs/procfs directories that refuse file creation even to root; skip if none does."""
    d = tmp / "read-only"
    d.mkdir(exist_ok=True)
    d.chmod(0o500)
    for cand in (d, Path("/sys/kernel"), Path("/proc/self")):
        try:
            (cand / ".dsae-probe").write_bytes(b"")
        except OSError:
            return cand
        (cand / ".dsae-probe").unlink()
    pytest.skip("no unwritable directory here (root on a writable filesystem)")


@pytest.fixture
def env(tmp_path, models_env):
    return Env(tmp_path, models_env)


@pytest.fixture
def seen(monkeypatch):
    """Records the class of the exception being handled whenever the CLI writes to stderr."""
    errors = []
    echo = click.echo

    def recording(message=None, *a, **k):
        if k.get("err"):
            errors.append(type(sys.exc_info()[1]).__name__)
        return echo(message, *a, **k)
    monkeypatch.setattr(click, "echo", recording)
    return errors


def listing(d: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(d)): (p.read_bytes() if p.is_file() else None) for p in sorted(d.rglob("*"))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name, env, seen):
    build, code, errors, match = CASES[name]
    if "cuda" in name:
        import torch
        if torch.cuda.is_available():
            pytest.skip("CUDA is present")
    argv = [str(a) for a in build(env)]
    before = listing(env.dir)
    r = CliRunner().invoke(main, argv)
    assert r.exit_code == code, (r.exit_code, r.output)
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    assert "Traceback" not in r.output and match in lines[0], lines[0]
    assert seen and seen[-1] in errors, (seen, errors)
    assert listing(env.dir) == before, "a failed run left or changed a file"
    print(f"{name}: exit {r.exit_code}, {seen[-1]}: {lines[0][:100]}")


def test_matrix_has_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_one_by_one_frames_work(env):
    """1x1 frames: encode, info and decode all succeed and give 1x1 frames back."""
    from codec.media import read_video
    src = env.dir / "dot.mkv"
    write_video(src, np.full((3, 1, 1, 3), 200, np.uint8), Fraction(10))
    run = CliRunner().invoke
    assert run(main, ["encode", str(src), "-o", str(env.out("dot.bin")), "--model", TINY, "--quiet"]).exit_code == 0
    assert run(main, ["info", str(env.out("dot.bin"))]).exit_code == 0
    r = run(main, ["decode", str(env.out("dot.bin")), "-o", str(env.out("dot-out.mkv")), "--quiet"])
    assert r.exit_code == 0, r.output
    assert read_video(env.out("dot-out.mkv")).frames.shape == (3, 1, 1, 3)


def test_png_renamed_mp4_is_read_as_one_frame(env):
    """FFmpeg probes content, not the extension: a PNG named .mp4 is a valid 1-frame input (works)."""
    import av
    img = np.random.default_rng(3).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    av.VideoFrame.from_ndarray(img, format="rgb24").save(str(env.dir / "x.png"))
    src = env.file("still.mp4", (env.dir / "x.png").read_bytes())
    r = CliRunner().invoke(main, ["encode", str(src), "-o", str(env.out("s.bin")), "--model", TINY, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["frames"] == 1 and unpack(env.out("s.bin").read_bytes())[0].width == 30
