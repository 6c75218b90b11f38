"""SegmentEncoder / SegmentDecoder are exact inverses; bad payloads only raise DecodeError."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bitstream import (ESCAPE, GAUSS_RANGE, DecodeError, DesyncError, SegmentDecoder, SegmentEncoder,
                       TruncatedError, make_cdf_table)
from bitstream_samples import decode_segment, encode_sample, expected_segment, sample_symbols, sample_tables

I32 = np.iinfo(np.int32)
residual = st.one_of(st.integers(-40, 40), st.integers(-GAUSS_RANGE - 3, GAUSS_RANGE + 3),
                     st.integers(I32.min, I32.max), st.sampled_from([I32.min, I32.max, 2**30, -2**30]))
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)


@st.composite
def gauss_group(draw):
    shape = draw(shapes)
    r = draw(hnp.arrays(draw(st.sampled_from([np.int32, np.int64])), shape, elements=residual))
    idx = draw(hnp.arrays(np.int16, shape, elements=st.integers(0, 63)))
    return "g", r, idx


@st.composite
def tables_strategy(draw):
    n = draw(st.integers(1, 4))
    width = draw(st.integers(1, 12))
    pm = draw(hnp.arrays(np.float64, (n, width), elements=st.floats(0, 100))) + 0.01
    lengths = draw(hnp.arrays(np.int64, n, elements=st.integers(1, width)))
    offsets = draw(hnp.arrays(np.int64, n, elements=st.integers(-50, 50)))
    return make_cdf_table(pm, offsets=offsets, lengths=lengths, precision=draw(st.integers(4, 16)))


def cat_group(tables):
    n = st.integers(0, 12)
    return n.flatmap(lambda k: st.tuples(
        st.just("c"), hnp.arrays(np.int64, k, elements=st.integers(-70, 70)),
        hnp.arrays(np.int32, k, elements=st.integers(0, tables.n_tables - 1))))


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_round_trip_of_mixed_groups(data):
    tables = data.draw(tables_strategy())
    groups = data.draw(st.lists(st.one_of(gauss_group(), cat_group(tables)), max_size=5))
    enc = SegmentEncoder(tables, segment=7)
    used = []
    for kind, values, params in groups:
        out = enc.gaussian(values, params) if kind == "g" else enc.categorical(values, params)
        assert out.shape == values.shape and out.dtype == np.int32
        if kind == "g":
            assert np.array_equal(out, values)
        else:
            off, ln = tables.offsets[params], tables.lengths[params]
            assert np.array_equal(out, np.clip(values, off, off + ln - 1))
        used.append(out)
    payload = enc.finish()
    dec = SegmentDecoder(payload, tables, segment=7)
    for (kind, values, params), want in zip(groups, used):
        got = dec.gaussian(params) if kind == "g" else dec.categorical(params)
        assert np.array_equal(got, want) and got.shape == want.shape
    dec.finish()
    assert dec.n_symbols == enc.n_symbols == sum(v.size for _, v, _ in groups)


def test_escape_codes_extremes_and_counts_clamps():
    r = np.array([0, GAUSS_RANGE, -GAUSS_RANGE, ESCAPE, -ESCAPE, 2**30, -2**30, I32.max, I32.min], np.int64)
    idx = np.zeros(r.size, np.int32)
    tab = make_cdf_table(np.ones((1, 4)), offsets=[10])
    enc = SegmentEncoder(tab)
    enc.gaussian(r, idx)
    assert enc.categorical(np.array([0, 12, 99]), np.zeros(3, np.int32)).tolist() == [10, 12, 13]
    assert enc.n_escapes == 6 and enc.n_clamped == 2
    dec = SegmentDecoder(enc.finish(), tab)
    assert dec.gaussian(idx).tolist() == r.tolist()
    assert dec.categorical(np.zeros(3, np.int32)).tolist() == [10, 12, 13]
    dec.finish()


def test_encoder_rejects_bad_parameters():
    enc = SegmentEncoder(sample_tables())
    bad_calls = [
        lambda: enc.gaussian(np.zeros(3, np.int32), np.array([0, 64, 1])),
        lambda: enc.gaussian(np.zeros(3, np.int32), np.array([0, -1, 1])),
        lambda: enc.gaussian(np.zeros(3, np.int32), np.zeros(4, np.int32)),
        lambda: enc.gaussian(np.zeros(3), np.zeros(3, np.int32)),
        lambda: enc.gaussian(np.zeros(3, np.int32), np.zeros(3)),
        lambda: enc.gaussian(np.array([2**31]), np.zeros(1, np.int32)),
        lambda: enc.categorical(np.zeros(2, np.int32), np.array([0, 3])),
        lambda: enc.categorical(np.zeros(2, np.int32), np.array([0])),
        lambda: SegmentEncoder(None).categorical(np.zeros(1, np.int32), np.zeros(1, np.int32)),
    ]
    for call in bad_calls:
        with pytest.raises(ValueError):
            call()
    enc.finish()
    with pytest.raises(RuntimeError):
        enc.finish()


def test_empty_segment_round_trips():
    payload = SegmentEncoder(None).finish()
    dec = SegmentDecoder(payload)
    assert dec.gaussian(np.zeros((0, 3), np.int32)).shape == (0, 3)
    dec.finish()


def test_parameter_mismatch_is_caught_by_the_symbol_crc():
    h, segs = encode_sample()
    _, idx, _, t = sample_symbols(1)
    dec = SegmentDecoder(segs[1], sample_tables(), segment=1)
    with pytest.raises(DesyncError, match="segment 1"):
        dec.gaussian(np.clip(idx + 5, 0, 63))  # decoder's prior differs from the encoder's
        dec.categorical(t)
        dec.gaussian(idx[:1])
        dec.finish()
    # the same with only the categorical part off: decoding "succeeds", the CRC catches it
    dec = SegmentDecoder(segs[1], sample_tables(), segment=1)
    dec.gaussian(idx)
    dec.categorical(np.array([1, 0, 2, 1, 0], np.int32))
    dec.gaussian(idx[:1])
    with pytest.raises(DesyncError, match="symbol CRC32 mismatch"):
        dec.finish()


def test_every_payload_bit_flip_is_caught_or_harmless():
    """Flip each bit of a coded segment (as if the segment CRC had been recomputed)."""
    _, segs = encode_sample()
    payload = segs[0]
    want = expected_segment(0)
    caught = 0
    for bit in range(8 * len(payload)):
        bad = bytearray(payload)
        bad[bit // 8] ^= 1 << (bit % 8)
        try:
            got = decode_segment(bytes(bad), 0)
        except DesyncError as e:
            assert "segment 0" in str(e)
            caught += 1
            continue
        assert all(np.array_equal(g, w) for g, w in zip(got, want))
    assert caught >= 0.9 * 8 * len(payload)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 40))
def test_garbage_payload_raises_only_decode_errors(payload, n):
    idx = np.arange(n, dtype=np.int32) % 64
    try:
        dec = SegmentDecoder(payload, sample_tables(), segment=2)
        dec.gaussian(idx)
        dec.categorical(np.arange(n, dtype=np.int32) % 3)
        dec.finish()
    except DecodeError:
        pass
    # any other exception (PanicException included) fails the test


def test_payload_framing_errors():
    for bad in (b"", b"\x00\x01\x02", b"\x00" * 6):
        with pytest.raises(TruncatedError):
            SegmentDecoder(bad)
    with pytest.raises(DesyncError):  # ANS data never ends in a zero word
        SegmentDecoder(b"\x00" * 8)


def test_panic_exception_from_the_coder_becomes_desync():
    import constriction
    fam = constriction.stream.model.QuantizedGaussian(-3, 3)
    try:  # provoke a real pyo3 PanicException to learn its class
        constriction.stream.stack.AnsCoder().encode_reverse(np.zeros(1, np.int32), fam, np.zeros(1), np.zeros(1))
        panic = RuntimeError("constriction did not panic")
    except BaseException as e:  # noqa: B036
        panic = e
    assert not isinstance(panic, Exception) or isinstance(panic, RuntimeError)

    class Exploding:
        def decode(self, *a):
            raise panic

    dec = SegmentDecoder(SegmentEncoder(segment=5).finish(), segment=5)
    dec._coder = Exploding()
    with pytest.raises(DesyncError, match="segment 5"):
        dec.gaussian(np.zeros(2, np.int32))


def test_symbol_crc_is_seeded_with_the_segment_index():
    """A segment moved to another position (its own CRCs intact) fails the symbol CRC."""
    enc = SegmentEncoder(None, segment=3)
    enc.gaussian(np.arange(6, dtype=np.int32), np.full(6, 20, np.int32))
    payload = enc.finish()
    ok = SegmentDecoder(payload, segment=3)
    assert np.array_equal(ok.gaussian(np.full(6, 20, np.int32)), np.arange(6))
    ok.finish()
    moved = SegmentDecoder(payload, segment=4)
    moved.gaussian(np.full(6, 20, np.int32))
    with pytest.raises(DesyncError, match="segment 4"):
        moved.finish()
