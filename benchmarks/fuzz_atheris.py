"""Coverage-guided fuzzing of the parser and the segment decoder with atheris (libFuzzer); not a test.

    pip install atheris
    python -m benchmarks.fuzz_atheris -atheris_runs=200000 -max_len=4096 [CORPUS_DIR ...]

Target: bytes -> `bitstream.unpack` -> every segment payload through `SegmentDecoder` with a fixed call
sequence (a categorical group, then Gaussian groups), as codec/ would make. The first input byte picks
how the rest becomes a container, so that coverage gets past the CRCs and the DEFLATE'd header:
0 as is, 1 with every CRC recomputed, 2 a plain JSON header + NUL + (u16 length, payload)* built into a
valid frame. Only `bitstream` is instrumented. Anything but a `DecodeError` is a crash: libFuzzer prints
it and saves the input as crash-<sha1>. Without a corpus directory the golden streams in
tests/data/golden/v1 seed a temporary one, in all three forms.
The whole-pipeline mutation fuzzer (model included) is benchmarks/fuzz.py.
"""
from __future__ import annotations

import shutil
import struct
import sys
import zlib
import tempfile
from pathlib import Path

import atheris
import numpy as np

with atheris.instrument_imports(include=["bitstream"]):
    from bitstream import DecodeError, SegmentDecoder, make_cdf_table, unpack
    from bitstream.container import deflate_header, inflate_header

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden" / "v1"
TABLES = make_cdf_table(np.array([[1, 2, 4, 2, 1], [5, 1, 1, 0, 0], [1, 0, 0, 0, 0]], np.float64),
                        offsets=[-2, 0, 7], lengths=[5, 3, 1])
CAT_IDX = np.array([0, 1, 2, 0, 1, 0], np.int32)
SCALE_IDX = (np.arange(12, dtype=np.int32) * 5) % 64


def fix_crcs(data: bytes) -> bytes:
    """Recompute the header CRC and every segment CRC that lies inside the data (framing otherwise kept)."""
    b = bytearray(data)
    if len(b) < 12:
        return data
    pos = 12 + struct.unpack_from("<I", b, 8)[0]
    if pos + 4 > len(b):
        return data
    struct.pack_into("<I", b, pos, zlib.crc32(b[12:pos]))
    pos += 4
    while pos + 4 <= len(b):
        n = struct.unpack_from("<I", b, pos)[0]
        end = pos + 4 + n
        if end + 4 > len(b):
            break
        struct.pack_into("<I", b, end, zlib.crc32(b[pos + 4:end]))
        pos = end + 4
    return bytes(b)


def build(data: bytes) -> bytes:
    """Mode 2: JSON header text, NUL, then (u16 LE length, payload)* -> a container with valid framing."""
    header, _, rest = data.partition(b"\0")
    hb = deflate_header(header)
    out = [struct.pack("<4sBBHI", b"DSAE", 1, 0, 0, len(hb)), hb, struct.pack("<I", zlib.crc32(hb))]
    while len(rest) >= 2:
        n = struct.unpack_from("<H", rest)[0]
        seg, rest = rest[2:2 + n], rest[2 + n:]
        out += [struct.pack("<I", len(seg)), seg, struct.pack("<I", zlib.crc32(seg))]
    return b"".join(out)


def unbuild(container: bytes) -> bytes:
    """Inverse of build for a valid container (seeds the corpus)."""
    hlen = struct.unpack_from("<I", container, 8)[0]
    out, pos = [inflate_header(container[12:12 + hlen]), b"\0"], 16 + hlen
    while pos < len(container):
        n = struct.unpack_from("<I", container, pos)[0]
        out += [struct.pack("<H", n), container[pos + 4:pos + 4 + n]]
        pos += n + 8
    return b"".join(out)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    mode, data = data[0] % 3, data[1:]
    data = build(data) if mode == 2 else fix_crcs(data) if mode == 1 else data
    try:
        header, payloads = unpack(data)
        for i, p in enumerate(payloads[:64]):
            dec = SegmentDecoder(p, TABLES, segment=i)
            dec.categorical(CAT_IDX)
            for t in range(min(header.segment_len, 8)):
                dec.gaussian(SCALE_IDX[t:t + 4])
            dec.finish()
    except DecodeError:
        pass


def main() -> None:
    argv = list(sys.argv)
    tmp = None
    if not any(not a.startswith("-") for a in argv[1:]):
        tmp = tempfile.mkdtemp(prefix="dsae-atheris-")
        for p in GOLDEN.glob("*.bin"):
            raw = p.read_bytes()
            for mode, body in ((0, raw), (1, raw), (2, unbuild(raw))):
                Path(tmp, f"{p.stem}-{mode}").write_bytes(bytes([mode]) + body)
        argv.append(tmp)
    try:
        atheris.Setup(argv, test_one_input)
        atheris.Fuzz()
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
