"""`dsae-codec demo`: a generated sprites clip through the embedded default model, beside x264.

No network, no arguments: it renders a clip with the procedural Sprites generator (one test identity doing
four actions, 32 frames of 64x64), writes it losslessly, encodes and decodes it through the real file path,
and compares with x264 (yuv444p, SEI stripped, packet bytes + extradata) at the closest size not above ours.
"""
from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from dsae.data import sprites

from . import classic, metrics
from .api import decode_from_file, encode_to_file
from .media import read_video, write_video
from .models import DEFAULT_MODEL, get_model

DEMO_IDENTITY_RANK = 7          # which test identity (index into the test split)
DEMO_ACTIONS = (0, 4, 6, 8)     # walk front, spellcast left, slash front, slash right


def demo_clip() -> np.ndarray:
    """(32, 64, 64, 3) uint8: one unseen (test-split) character doing four actions."""
    _, test_ids = sprites.split_identities()
    ident = int(test_ids[DEMO_IDENTITY_RANK])
    return np.concatenate([sprites.render(ident, a) for a in DEMO_ACTIONS])


def run_demo(out_dir: str | Path = "dsae-demo", model: str = DEFAULT_MODEL, quality: int | None = None,
             device: str = "cpu", progress=None) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fps = Fraction(12)
    clip = demo_clip()
    src, binf, dec = out / "input.mp4", out / "input.bin", out / "decoded.mp4"
    write_video(src, clip, fps)
    get_model(model, device=device)  # load once, so the timings below are coding only
    t0 = time.perf_counter()
    enc = encode_to_file(src, binf, model=model, quality=quality, device=device, force=True, progress=progress)
    t1 = time.perf_counter()
    decode_from_file(binf, dec, device=device, force=True, progress=progress)
    t2 = time.perf_counter()
    decoded = read_video(dec).frames
    n, h, w, _ = clip.shape
    ours = {"codec": f"dsae ({enc['model']}, quality {enc['quality']})", "bytes": enc["bytes"],
            "bpp": 8 * enc["bytes"] / (n * h * w), "psnr": metrics.psnr(clip, decoded),
            "msssim": metrics.msssim(clip, decoded), "encode_fps": n / (t1 - t0), "decode_fps": n / (t2 - t1)}
    x264 = classic.match_size(clip, enc["bytes"], "x264", "yuv444p", fps=fps)
    note = " (its smallest)" if x264.bytes > enc["bytes"] else ""
    theirs = {"codec": f"x264 yuv444p crf {x264.crf}{note}", "bytes": x264.bytes, "bpp": 8 * x264.bytes / (n * h * w),
              "psnr": metrics.psnr(clip, x264.frames), "msssim": metrics.msssim(clip, x264.frames)}
    return {"clip": {"frames": n, "width": w, "height": h, "fps": str(fps), "input": str(src),
                     "bitstream": str(binf), "decoded": str(dec)}, "results": [ours, theirs]}
