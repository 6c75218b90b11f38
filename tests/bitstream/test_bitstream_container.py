"""Container round trips, and hostile bytes: only DecodeError subclasses, refused before allocating."""
import io
import json
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitstream import (ChecksumError, DecodeError, HeaderError, LimitError, TruncatedError,
                       UnsupportedVersionError, BadMagicError, pack, read_container,
                       read_header_and_sizes, unpack, write_container)
from bitstream.container import deflate_header
from bitstream_samples import decode_segment, encode_sample, expected_segment, sample_header


def raw_file(header_obj, segments=(), major=1, minor=0, flags=0, header_bytes=None) -> bytes:
    """A container built by hand, so that the header may be anything at all."""
    hb = header_bytes if header_bytes is not None else deflate_header(json.dumps(header_obj).encode())
    out = struct.pack("<4sBBHI", b"DSAE", major, minor, flags, len(hb)) + hb + struct.pack("<I", zlib.crc32(hb))
    for s in segments:
        out += struct.pack("<I", len(s)) + s + struct.pack("<I", zlib.crc32(s))
    return out


def header_dict(**kw) -> dict:
    d = json.loads(sample_header().to_json())
    d.update(kw)
    return d


def test_round_trip_bytes_and_files(tmp_path, sample_file):
    h, segs = encode_sample()
    assert unpack(sample_file) == (h, segs)
    path = tmp_path / "x.dsae"
    with open(path, "wb") as fo:
        assert write_container(fo, h, segs) == len(sample_file)
    with open(path, "rb") as fo:
        assert read_container(fo) == (h, segs)

    class Pipe:  # not seekable
        def __init__(self, data):
            self.read = io.BytesIO(data).read
    assert read_container(Pipe(sample_file)) == (h, segs)
    h2, sizes = read_header_and_sizes(io.BytesIO(sample_file))
    assert h2 == h and sizes == [len(s) for s in segs]
    for i, seg in enumerate(segs):
        assert all(np.array_equal(g, w) for g, w in zip(decode_segment(seg, i), expected_segment(i)))


def test_audio_header_round_trips():
    h = sample_header(media="audio", width=0, height=0, tile_width=200, tile_height=1, tiles_x=1, tiles_y=1,
                      fps_num=100, fps_den=1, sample_rate=16000, n_samples=16000, n_frames=100,
                      segment_len=20, n_segments=5, fit=True)
    assert unpack(pack(h, [b"x"] * 5))[0] == h


def test_writer_refuses_inconsistent_input():
    h, segs = encode_sample()
    with pytest.raises(ValueError):
        pack(h, segs[:-1])
    for bad in (dict(n_segments=3), dict(step=float("nan")), dict(tiles_x=3), dict(width=5000),
                dict(extra={"x": object()}), dict(weights_sha256="ABC"), dict(fit=1)):
        with pytest.raises(ValueError):
            pack(sample_header(**bad), segs)


def test_every_truncation_raises_decode_error(sample_file):
    for n in range(len(sample_file)):
        with pytest.raises(DecodeError):
            unpack(sample_file[:n])


def test_every_bit_flip_is_caught_or_harmless(sample_file):
    """No single flipped bit may silently change a decoded symbol."""
    want = [expected_segment(i) for i in range(4)]
    for bit in range(8 * len(sample_file)):
        bad = bytearray(sample_file)
        bad[bit // 8] ^= 1 << (bit % 8)
        try:
            h, segs = unpack(bytes(bad))
            got = [decode_segment(s, i) for i, s in enumerate(segs)]
        except DecodeError:
            continue
        assert all(np.array_equal(g, w) for gs, ws in zip(got, want) for g, w in zip(gs, ws)), bit


def test_trailing_bytes_are_refused(sample_file):
    with pytest.raises(HeaderError, match="after the last segment"):
        unpack(sample_file + b"\x00")


def test_huge_declared_sizes_are_refused_quickly():
    hdr = header_dict(width=65535, height=65535, n_frames=2**31, n_segments=2**31)
    t0 = time.perf_counter()
    with pytest.raises(LimitError):
        unpack(raw_file(hdr))
    assert time.perf_counter() - t0 < 0.1
    with pytest.raises(LimitError):  # header length beyond the cap
        unpack(struct.pack("<4sBBHI", b"DSAE", 1, 0, 0, 2**32 - 1))
    with pytest.raises(LimitError):  # a segment declaring 4 GiB
        unpack(raw_file(header_dict()) + struct.pack("<I", 2**32 - 1) + bytes(40))
    with pytest.raises(TruncatedError):  # many segments, no bytes for them
        unpack(raw_file(header_dict(n_frames=2**20, segment_len=1, tiles_x=2, n_segments=2**21)))
    with pytest.raises(TruncatedError):  # a segment longer than the rest of the file
        unpack(raw_file(header_dict()) + struct.pack("<I", 1000) + bytes(60))


def test_versions():
    good = [b"a"] * 4
    with pytest.raises(UnsupportedVersionError, match=r"2\.x is newer than this decoder \(1\.x\)"):
        unpack(raw_file(header_dict(), good, major=2))
    with pytest.raises(UnsupportedVersionError):
        unpack(raw_file(header_dict(), good, major=0))
    h, segs = unpack(raw_file(header_dict(new_key=[1, 2], n_segments=4), good, minor=7, flags=3))
    assert h == sample_header() and segs == good  # newer minor: new keys and flags ignored
    with pytest.raises(HeaderError, match="reserved flags"):
        unpack(raw_file(header_dict(), good, flags=1))
    with pytest.raises(BadMagicError):
        unpack(b"RIFF" + raw_file(header_dict(), good)[4:])


def test_checksums(sample_file):
    bad = bytearray(sample_file)
    bad[20] ^= 0x40  # inside the header JSON
    with pytest.raises(ChecksumError, match="header"):
        unpack(bytes(bad))
    bad = bytearray(sample_file)
    bad[-6] ^= 1  # inside the last segment payload
    with pytest.raises(ChecksumError, match="segment 3"):
        unpack(bytes(bad))


@pytest.mark.parametrize("edit", [
    dict(width=True), dict(fit=1), dict(step="0.5"), dict(step=None), dict(extra=[1]), dict(model=""),
    dict(model="x" * 65), dict(model="a b"), dict(media="image"), dict(tiles_x=1), dict(n_segments=5),
    dict(width=0), dict(height=-1), dict(fps_den=0), dict(segment_len=2000), dict(step=-1.0),
    dict(sample_rate=16000), dict(weights_sha256="0123456789ABCDEF"), dict(quality=1000),
    dict(n_frames=2**64), dict(step=10**400),
])
def test_bad_header_values_raise_header_or_limit_errors(edit):
    with pytest.raises((HeaderError, LimitError)):
        unpack(raw_file(header_dict(**edit), [b"a"] * 4))


@pytest.mark.parametrize("hb", [
    b"", b"[]", b"{", b'{"a":1,"a":2}', b"\xff\xfe", b"[" * 30000 + b"]" * 30000,
    json.dumps(header_dict()).replace("0.5", "NaN").encode(), b'{"model": 1e999}', b"1" * 5000,
])
def test_malformed_header_json_raises_header_error(hb):
    with pytest.raises(HeaderError):
        unpack(raw_file(None, [b"a"] * 4, header_bytes=hb))


def test_missing_extra_defaults_to_empty():
    d = header_dict()
    del d["extra"]
    assert unpack(raw_file(d, [b"a"] * 4))[0].extra == {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200), st.booleans())
def test_random_bytes_raise_only_decode_errors(data, with_prefix):
    if with_prefix:
        data = struct.pack("<4sBBHI", b"DSAE", 1, 0, 0, len(data) // 2) + data
    with pytest.raises(DecodeError):
        unpack(data)


json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
                          lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                          max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(header_dict())), json_value, max_size=6))
def test_any_json_header_with_valid_crc_raises_only_decode_errors(edits):
    try:
        unpack(raw_file(header_dict(**edits), [b"a"] * 4))
    except DecodeError:
        pass
