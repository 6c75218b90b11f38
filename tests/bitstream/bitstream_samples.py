"""Shared builders for the bitstream tests: a small, fully deterministic .dsae file."""
import numpy as np
from bitstream import CODER_NAME, Header, SegmentDecoder, SegmentEncoder, make_cdf_table


def sample_header(**kw) -> Header:
    base = dict(model="dsae-test", weights_sha256="0123456789abcdef", media="video", width=100,
                height=60, tile_width=64, tile_height=64, tiles_x=2, tiles_y=1, fit=False,
                fps_num=30000, fps_den=1001, sample_rate=0, n_frames=10, n_samples=0, segment_len=8,
                quality=3, step=0.5, coder=CODER_NAME, n_segments=4, extra={"note": "test"})
    base.update(kw)
    return Header(**base)


def sample_tables():
    """Three tables with no RNG: lengths 5, 3, 1 (the last codes nothing)."""
    pmfs = np.array([[1, 2, 4, 2, 1], [5, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=np.float64)
    return make_cdf_table(pmfs, offsets=[-2, 0, 7], lengths=[5, 3, 1])


def sample_symbols(seg: int):
    """Deterministic symbols for segment `seg`: residuals (4, 6) incl. escapes, 5 categoricals."""
    i = np.arange(24, dtype=np.int64)
    idx = ((i * 7 + seg * 5) % 64).astype(np.int32).reshape(4, 6)
    r = (((i * 37 + seg * 11) % 23) - 11).astype(np.int32).reshape(4, 6)
    r[0, 0] = [1024, -2**31, 2**31 - 1, -1500][seg % 4]
    t = np.array([0, 1, 2, 0, 1], np.int32)
    k = np.array([-2, 2, 7, seg % 3, 0], np.int32)
    return r, idx, k, t


def encode_sample(tables=None) -> tuple[Header, list[bytes]]:
    tables = tables or sample_tables()
    h = sample_header()
    segs = []
    for s in range(h.n_segments):
        r, idx, k, t = sample_symbols(s)
        enc = SegmentEncoder(tables, segment=s)
        enc.gaussian(r, idx)
        enc.categorical(k, t)
        enc.gaussian(r[:1] // 3, idx[:1])
        segs.append(enc.finish())
    return h, segs


def decode_segment(payload: bytes, seg: int, tables=None):
    """Decode one sample segment with the encoder's call sequence; returns the three arrays."""
    tables = tables or sample_tables()
    _, idx, _, t = sample_symbols(seg)
    dec = SegmentDecoder(payload, tables, segment=seg)
    out = (dec.gaussian(idx), dec.categorical(t), dec.gaussian(idx[:1]))
    dec.finish()
    return out


def expected_segment(seg: int):
    r, _, k, _ = sample_symbols(seg)
    return r, k, r[:1] // 3
