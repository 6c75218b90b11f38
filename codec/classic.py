"""Classical codecs through PyAV, with exact codec-bit accounting (FACTS.md "PyAV 18").

Bits = packet bytes + extradata, not file size (the mp4 container adds ~1 kB). x264's 675-byte version SEI
is removed (every SEI NAL unit is dropped from the Annex-B packets, which is what ffmpeg's
`filter_units=remove_types=6` does), x265 runs with `info=0`, and AV1 temporal-delimiter OBUs are dropped
(2 bytes a frame that the mp4 and Matroska muxers strip as well). The headers (SPS/PPS/VPS, AV1 sequence
header) travel in-band in the first packet and are counted there.
RGB input is coded in yuv444p by default (yuv420p caps RGB-PSNR near 28 dB on small synthetic clips);
libsvtav1 accepts yuv420p only. Grey frames (N, H, W, 1) go in and come out as the luma plane.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

os.environ.setdefault("SVT_LOG", "1")  # silence SVT-AV1's banner

CODECS = {"x264": ("libx264", "h264"), "x265": ("libx265", "hevc"), "svtav1": ("libsvtav1", "libdav1d")}
MAX_CRF = {"x264": 51, "x265": 51, "svtav1": 63}
DEFAULT_PRESET = {"x264": "medium", "x265": "medium", "svtav1": "8"}


@dataclass
class ClassicResult:
    codec: str
    crf: int
    pix_fmt: str
    bytes: int                  # packet bytes + extradata
    frames: np.ndarray          # decoded (N, H, W, 3) RGB, or (N, H, W, 1) for grey input
    encode_s: float = 0.0       # wall time of colour conversion + encoding
    decode_s: float = 0.0       # wall time of decoding + conversion back


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
    return data[: starts[0]] + b"".join(out)


def strip_av1_td(data: bytes) -> bytes:
    """Drops temporal-delimiter (type 2) and padding (type 15) OBUs from a low-overhead AV1 packet."""
    out, i = [], 0
    while i < len(data):
        start, hdr = i, data[i]
        i += 2 if hdr & 0x04 else 1          # obu_extension_flag
        if not hdr & 0x02:                  # no obu_has_size_field: the OBU runs to the end
            size = len(data) - i
        else:
            size, shift = 0, 0
            while True:                     # leb128
                b = data[i]
                i += 1
                size |= (b & 0x7F) << shift
                shift += 7
                if not b & 0x80:
                    break
        i += size
        if (hdr >> 3) & 0x0F not in (2, 15):
            out.append(data[start:i])
    return b"".join(out)


def encode_decode(frames: np.ndarray, codec: str = "x264", crf: int = 23, pix_fmt: str = "yuv444p",
                  preset: str | None = None, fps: Fraction = Fraction(25)) -> ClassicResult:
    """Encode frames in memory, count codec bits, and decode them back (same channel count as the input)."""
    enc_name, dec_name = CODECS[codec]
    n, h, w, c = frames.shape
    src_fmt = "gray" if c == 1 else "rgb24"
    ctx = av.CodecContext.create(enc_name, "w")
    ctx.width, ctx.height, ctx.pix_fmt = w, h, pix_fmt
    ctx.time_base = 1 / fps
    ctx.framerate = fps
    opts = {"crf": str(crf), "preset": str(preset or DEFAULT_PRESET[codec])}
    if codec == "x265":
        opts["x265-params"] = "info=0:log-level=error"
    ctx.options = opts
    t0 = time.perf_counter()
    packets = []
    for i in range(n):
        img = np.ascontiguousarray(frames[i, ..., 0] if c == 1 else frames[i])
        fr = av.VideoFrame.from_ndarray(img, format=src_fmt).reformat(format=pix_fmt)
        fr.pts = i
        packets += ctx.encode(fr)
    packets += ctx.encode(None)
    data = [bytes(p) for p in packets]
    if codec == "x264":
        data = [strip_h264_sei(d) for d in data]
    elif codec == "svtav1":
        data = [strip_av1_td(d) for d in data]
    extradata = bytes(ctx.extradata or b"")
    nbytes = sum(len(d) for d in data) + len(extradata)
    t1 = time.perf_counter()
    dec = av.CodecContext.create(dec_name, "r")
    if extradata:
        dec.extradata = extradata
    out = []
    for d in data:
        if d:
            out += [fr.to_ndarray(format=src_fmt) for fr in dec.decode(av.Packet(d))]
    out += [fr.to_ndarray(format=src_fmt) for fr in dec.decode(None)]
    t2 = time.perf_counter()
    if len(out) != n:
        raise RuntimeError(f"{codec} decoded {len(out)} of {n} frames")
    rec = np.stack(out)
    return ClassicResult(codec, crf, pix_fmt, nbytes, rec[..., None] if c == 1 else rec, t1 - t0, t2 - t1)


def match_size(frames: np.ndarray, target_bytes: int, codec: str = "x264", pix_fmt: str = "yuv444p",
               fps: Fraction = Fraction(25)) -> ClassicResult:
    """The CRF whose size is closest to target_bytes without exceeding it where possible (binary search)."""
    lo, hi, best = 0, MAX_CRF[codec], None
    while lo <= hi:
        mid = (lo + hi) // 2
        r = encode_decode(frames, codec, mid, pix_fmt, fps=fps)
        if r.bytes <= target_bytes:
            best, hi = r, mid - 1
        else:
            lo = mid + 1
    return best or encode_decode(frames, codec, MAX_CRF[codec], pix_fmt, fps=fps)
