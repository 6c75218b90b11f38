"""CLI in-process (click's CliRunner): commands, --json, exit codes and one-line errors."""
import json
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from codec.media import read_video, write_video
from tools.cli import main


@pytest.fixture
def run(models_env):
    def _run(*args):
        r = CliRunner().invoke(main, [str(a) for a in args])
        return r
    return _run


@pytest.fixture
def video(tmp_path, clip):
    p = tmp_path / "clip.mp4"
    write_video(p, clip, Fraction(24))
    return p


def _one_line_error(r, code):
    assert r.exit_code == code, (r.exit_code, r.output)
    lines = [ln for ln in r.output.strip().splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    assert "Traceback" not in r.output


def test_encode_decode_info(run, video, tmp_path, clip):
    b = tmp_path / "c.bin"
    r = run("encode", video, "-o", b, "--model", "tiny-dsae-factorised", "--quality", "2", "--json", "--quiet")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["bytes"] == b.stat().st_size and info["frames"] == len(clip)
    r = run("info", b, "--json")
    assert r.exit_code == 0
    meta = json.loads(r.output)
    assert meta["header"]["n_frames"] == len(clip) and len(meta["segment_bytes"]) == meta["header"]["n_segments"]
    assert run("info", b).exit_code == 0
    out = tmp_path / "d.mkv"
    r = run("decode", b, "-o", out, "--quiet")
    assert r.exit_code == 0, r.output
    v = read_video(out)
    assert v.frames.shape == clip.shape and v.fps == Fraction(24)


def test_swap_and_generate(run, video, tmp_path):
    r = run("swap", video, video, "-o", tmp_path / "s.mp4", "--model", "tiny-dsae-factorised")
    assert r.exit_code == 0, r.output
    assert read_video(tmp_path / "s.mp4").frames.shape[0] == 11
    for fix in ("f", "z"):
        r = run("generate", "--model", "tiny-dsae-full", "--fix", fix, "--n", "3", "-o", tmp_path / f"g{fix}.png")
        assert r.exit_code == 0, r.output
    r = run("generate", "--model", "tiny-dsae-factorised", "-o", tmp_path / "g.mp4")
    assert r.exit_code == 0 and read_video(tmp_path / "g.mp4").frames.shape[0] == 6 * 4


def test_models_lists_installed(run):
    r = run("models", "--json")
    assert r.exit_code == 0
    assert "tiny-dsae-factorised" in {m["name"] for m in json.loads(r.output)}


def test_output_exists_needs_force(run, video, tmp_path):
    b = tmp_path / "c.bin"
    b.write_bytes(b"keep me")
    r = run("encode", video, "-o", b, "--model", "tiny-dsae-factorised")
    _one_line_error(r, 4)
    assert b.read_bytes() == b"keep me"
    assert run("encode", video, "-o", b, "--model", "tiny-dsae-factorised", "--force", "--quiet").exit_code == 0


@pytest.mark.parametrize("content,code", [(b"", 3), (b"hello world\n", 3), (bytes(range(256)) * 4, 3),
                                          (b"DSAE\x09\x00\x00\x00\x10\x00\x00\x00", 3)])
def test_decode_garbage(run, tmp_path, content, code):
    f = tmp_path / "x.bin"
    f.write_bytes(content)
    r = run("decode", f, "-o", tmp_path / "o.mp4")
    _one_line_error(r, code)
    assert not (tmp_path / "o.mp4").exists()


def test_encode_bad_inputs(run, tmp_path):
    t = tmp_path / "notes.txt"
    t.write_text("not a video\n")
    _one_line_error(run("encode", t, "-o", tmp_path / "a.bin", "--model", "tiny-dsae-factorised"), 1)
    _one_line_error(run("encode", tmp_path / "missing.mp4", "-o", tmp_path / "a.bin"), 1)
    assert not (tmp_path / "a.bin").exists()


def test_unknown_model_and_missing_cuda(run, video, tmp_path):
    _one_line_error(run("encode", video, "-o", tmp_path / "a.bin", "--model", "nope"), 5)
    import torch
    if not torch.cuda.is_available():
        _one_line_error(run("encode", video, "-o", tmp_path / "a.bin", "--model", "tiny-dsae-factorised",
                            "--device", "cuda"), 6)


def test_audio_only_input_refused(run, tmp_path):
    import av
    p = tmp_path / "tone.m4a"
    with av.open(str(p), "w") as c:
        s = c.add_stream("aac", rate=16000)
        t = np.arange(16000) / 16000
        fr = av.AudioFrame.from_ndarray((0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None],
                                        format="fltp", layout="mono")
        fr.sample_rate = 16000
        for pkt in s.encode(fr):
            c.mux(pkt)
        for pkt in s.encode(None):
            c.mux(pkt)
    _one_line_error(run("encode", p, "-o", tmp_path / "a.bin", "--model", "tiny-dsae-factorised"), 1)
