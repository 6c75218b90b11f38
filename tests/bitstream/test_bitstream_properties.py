"""Property tests the other bitstream tests lack: valid headers round-trip, the reader accepts only what
the writer would write, all readers agree, moved segments never decode to wrong symbols, and garbage under
arbitrary coding tables raises only DecodeError."""
import io
import struct
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bitstream import (CODER_NAME, DecodeError, DesyncError, Header, SegmentDecoder, make_cdf_table, pack,
                       read_container, read_header_and_sizes, unpack)
from bitstream.container import deflate_header
from bitstream_samples import decode_segment, encode_sample, expected_segment

SAMPLE = pack(*encode_sample())
name = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,20}", fullmatch=True)
json_leaf = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=8)


@st.composite
def valid_headers(draw) -> Header:
    """Any header the format allows (video or audio), with a consistent grid and segment count."""
    T = draw(st.integers(1, 64))
    n_frames = draw(st.integers(1, 300))
    tw, th = draw(st.integers(1, 4096)), draw(st.integers(1, 4096))
    if draw(st.booleans()):  # video
        fit = draw(st.booleans())
        w, h = draw(st.integers(1, 4096)), draw(st.integers(1, 4096))
        tx, ty = (1, 1) if fit else (-(-w // tw), -(-h // th))
        if tx * ty * -(-n_frames // T) > 512:
            tw, th, tx, ty = 4096, 4096, 1, 1
        media = dict(media="video", width=w, height=h, fit=fit, sample_rate=0, n_samples=0)
    else:
        tx = ty = 1
        media = dict(media="audio", width=0, height=0, fit=draw(st.booleans()),
                     sample_rate=draw(st.integers(8000, 192000)), n_samples=draw(st.integers(1, 2**34)))
    return Header(model=draw(name), weights_sha256=draw(st.from_regex(r"[0-9a-f]{16}", fullmatch=True)),
                  tile_width=tw, tile_height=th, tiles_x=tx, tiles_y=ty,
                  fps_num=draw(st.integers(1, 10**6)), fps_den=draw(st.integers(1, 10**6)), n_frames=n_frames,
                  segment_len=T, quality=draw(st.integers(0, 255)),
                  step=draw(st.floats(min_value=1e-300, max_value=1e300, allow_nan=False)),
                  coder=draw(st.sampled_from([CODER_NAME, "other-coder.v2"])),
                  n_segments=-(-n_frames // T) * tx * ty,
                  extra=draw(st.dictionaries(st.text(max_size=6), json_leaf, max_size=4)), **media)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_headers(), st.data())
def test_valid_headers_round_trip_through_every_reader(h, data):
    segs = [data.draw(st.binary(max_size=12)) for _ in range(h.n_segments)]
    blob = pack(h, segs)
    assert unpack(blob) == (h, segs)
    assert read_container(io.BytesIO(blob)) == (h, segs)
    assert read_header_and_sizes(blob) == (h, [len(s) for s in segs])


mutation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)),
    st.tuples(st.just("insert"), st.integers(0, len(SAMPLE)), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, len(SAMPLE) - 1), st.integers(1, 8)),
    st.tuples(st.just("cut"), st.integers(0, len(SAMPLE) - 1), st.just(0)),
)


def mutate(data: bytes, muts) -> bytes:
    for kind, i, arg in muts:
        i = min(i, len(data))
        if kind == "set" and i < len(data):
            data = data[:i] + bytes([arg]) + data[i + 1:]
        elif kind == "insert":
            data = data[:i] + arg + data[i:]
        elif kind == "delete":
            data = data[:i] + data[i + arg:]
        elif kind == "cut":
            data = data[:i]
    return data


class Pipe:
    """A non-seekable source."""

    def __init__(self, data):
        self.read = io.BytesIO(data).read


def outcome(fn, src):
    try:
        return fn(src)
    except DecodeError as e:
        return type(e)


@settings(max_examples=300, deadline=None)
@given(st.lists(mutation, min_size=1, max_size=3))
def test_readers_agree_and_accept_only_what_the_writer_writes(muts):
    bad = mutate(SAMPLE, muts)
    got = outcome(unpack, bad)
    assert outcome(read_container, io.BytesIO(bad)) == got
    assert outcome(read_container, Pipe(bad)) == got
    sizes = outcome(read_header_and_sizes, bad)
    if not isinstance(got, type):
        h, segs = got
        assert sizes == (h, [len(s) for s in segs])
        assert unpack(pack(h, segs)) == (h, segs)  # the writer takes whatever the reader returned


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(4)))
def test_moved_segments_never_decode_to_wrong_symbols(perm):
    """Whole segments (CRCs intact) in another order: each decodes to its own symbols or raises DesyncError."""
    h, segs = unpack(SAMPLE)
    for slot, src in enumerate(perm):
        try:
            got = decode_segment(segs[src], slot)
        except DesyncError:
            continue
        assert all(np.array_equal(g, w) for g, w in zip(got, expected_segment(src)))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_the_inflated_header_raise_only_decode_errors(text):
    hb = deflate_header(text)
    blob = struct.pack("<4sBBHI", b"DSAE", 1, 0, 0, len(hb)) + hb + struct.pack("<I", zlib.crc32(hb))
    outcome(unpack, blob + b"\0" * 16)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_garbage_under_random_tables_raises_only_decode_errors(data):
    n = data.draw(st.integers(1, 4))
    width = data.draw(st.integers(1, 12))
    pm = data.draw(hnp.arrays(np.float64, (n, width), elements=st.floats(0, 100))) + 0.01
    tables = make_cdf_table(pm, offsets=data.draw(hnp.arrays(np.int64, n, elements=st.integers(-50, 50))),
                            lengths=data.draw(hnp.arrays(np.int64, n, elements=st.integers(1, width))),
                            precision=data.draw(st.integers(4, 16)))
    payload = data.draw(st.binary(max_size=64))
    calls = data.draw(st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=4))
    try:
        dec = SegmentDecoder(payload, tables, segment=0)
        for cat, k in calls:
            if cat:
                dec.categorical(np.arange(k, dtype=np.int32) % n)
            else:
                dec.gaussian(np.arange(k, dtype=np.int32) * 7 % 64)
        dec.finish()
    except DecodeError:
        pass
