"""Classical codecs through PyAV, with exact codec-bit accounting (FACTS.md "PyAV 18").

Bits = packet bytes + extradata, not file size (the mp4 container adds ~1 kB). x264's 675-byte version SEI
is removed (every SEI NAL unit is dropped from the Annex-B packets, which is what ffmpeg's
`filter_units=remove_types=6` does), and x265 runs with `info=0`.
RGB input is coded in yuv444p by default (yuv420p caps RGB-PSNR near 28 dB on small synthetic clips).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

os.environ.setdefault("SVT_LOG", "1")  # silence SVT-AV1's banner

CODECS = {"x264": ("libx264", "h264"), "x265": ("libx265", "hevc"), "svtav1": ("libsvtav1", "libdav1d")}


@dataclass
class ClassicResult:
    codec: str
    crf: int
    pix_fmt: str
    bytes: int                  # packet bytes + extradata
    frames: np.ndarray          # decoded RGB (N, H, W, 3)


def strip_h264_sei(data: bytes) -> bytes:
    """Drops SEI NAL units (type 6) from an Annex-B H.264 packet."""
    starts = []
    i = data.find(b"\x00\x00\x01")
    while i >= 0:
        starts.append(i)
        i = data.find(b"\x00\x00\x01", i + 3)
    if not starts:
        return data
    out, bounds = [], starts + [len(data)]
    for a, b in zip(bounds, bounds[1:]):
        nal = data[a:b]
        if len(nal) > 3 and nal[3] & 0x1F == 6:
            continue
        out.append(nal)
    head = data[: starts[0]]
    return head + b"".join(out) if any(nal[3] & 0x1F != 6 for nal in out if len(nal) > 3) or out else head


def encode_decode(frames: np.ndarray, codec: str = "x264", crf: int = 23, pix_fmt: str = "yuv444p",
                  preset: str | None = None, fps: Fraction = Fraction(25)) -> ClassicResult:
    """Encode RGB frames in memory, count codec bits, and decode them back to RGB."""
    enc_name, dec_name = CODECS[codec]
    n, h, w, _ = frames.shape
    ctx = av.CodecContext.create(enc_name, "w")
    ctx.width, ctx.height, ctx.pix_fmt = w, h, pix_fmt
    ctx.time_base = 1 / fps
    ctx.framerate = fps
    opts = {"crf": str(crf)}
    if codec == "x264":
        opts["preset"] = preset or "medium"
    elif codec == "x265":
        opts["preset"] = preset or "medium"
        opts["x265-params"] = "info=0:log-level=error"
    else:
        opts["preset"] = preset or "8"
    ctx.options = opts
    packets = []
    for i in range(n):
        fr = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames[i]), format="rgb24").reformat(format=pix_fmt)
        fr.pts = i
        packets += ctx.encode(fr)
    packets += ctx.encode(None)
    data = [bytes(p) for p in packets]
    if codec == "x264":
        data = [strip_h264_sei(d) for d in data]
    extradata = bytes(ctx.extradata or b"")
    nbytes = sum(len(d) for d in data) + len(extradata)
    dec = av.CodecContext.create(dec_name, "r")
    if extradata:
        dec.extradata = extradata
    out = []
    for d in data:
        if not d:
            continue
        for fr in dec.decode(av.Packet(d)):
            out.append(fr.to_ndarray(format="rgb24"))
    for fr in dec.decode(None):
        out.append(fr.to_ndarray(format="rgb24"))
    return ClassicResult(codec, crf, pix_fmt, nbytes, np.stack(out) if out else np.zeros_like(frames))


def match_size(frames: np.ndarray, target_bytes: int, codec: str = "x264", pix_fmt: str = "yuv444p",
               fps: Fraction = Fraction(25)) -> ClassicResult:
    """The CRF whose size is closest to target_bytes without exceeding it where possible (binary search)."""
    lo, hi, best = 0, 51, None
    while lo <= hi:
        mid = (lo + hi) // 2
        r = encode_decode(frames, codec, mid, pix_fmt, fps=fps)
        if r.bytes <= target_bytes:
            best, hi = r, mid - 1
        else:
            lo = mid + 1
    return best or encode_decode(frames, codec, 51, pix_fmt, fps=fps)
