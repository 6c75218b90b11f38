"""Per-segment entropy coding over constriction's ANS coder: one stream per segment, no globals.

Names: r is an integer residual round(z - mu), coded under a zero-mean quantised Gaussian with
std ``SCALE_TABLE[idx]``; k is a categorical value coded under table t of an ``IntCdfTables``.
The model's step-by-step prior makes the same calls in the same order on both sides:

    enc = SegmentEncoder(tables); enc.gaussian(r, idx); enc.categorical(k, t); payload = enc.finish()
    dec = SegmentDecoder(payload, tables); dec.gaussian(idx); dec.categorical(t); dec.finish()

ANS is last-in-first-out, so the encoder buffers the symbol groups in decode order and pushes
them in reverse in ``finish()``. Payload = u32 CRC32 of the coded symbols + the ANS words
(little-endian uint32). Escapes, clamping and the CRC are specified in FORMAT.md.
"""
from __future__ import annotations

import zlib

import constriction
import numpy as np

from .errors import DesyncError, TruncatedError
from .tables import N_SCALES, SCALE_TABLE, IntCdfTables

__all__ = ["CODER_NAME", "GAUSS_RANGE", "ESCAPE", "SegmentEncoder", "SegmentDecoder"]

CODER_NAME = "ans32-gauss64-v1"  # header value naming this coder (format 1.x)
GAUSS_RANGE = 1023               # R: residuals with |r| <= R are coded directly
ESCAPE = GAUSS_RANGE + 1         # ±(R+1) mark an escape; the excess |r| - (R+1) follows
_CHUNK_BITS = 16                 # the excess is sent as two uniform 16-bit chunks (low first)
_I32_MAX = 2**31 - 1

# Immutable constriction models shared by all coders (they hold no state).
_GAUSS = constriction.stream.model.QuantizedGaussian(-ESCAPE, ESCAPE, 0.0)
_CHUNK = constriction.stream.model.Uniform(1 << _CHUNK_BITS)


def _ints(a, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an integer array, got dtype {a.dtype}")
    return a


def _check_scale_idx(idx: np.ndarray) -> np.ndarray:
    idx = _ints(idx, "scale_idx").reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= N_SCALES):
        raise ValueError(f"scale_idx must lie in [0, {N_SCALES - 1}]")
    return idx


def _check_table_idx(t: np.ndarray, tables: IntCdfTables | None) -> np.ndarray:
    if tables is None:
        raise ValueError("categorical symbols need IntCdfTables")
    t = _ints(t, "table_idx").reshape(-1)
    if t.size and (t.min() < 0 or t.max() >= tables.n_tables):
        raise ValueError(f"table_idx must lie in [0, {tables.n_tables - 1}]")
    return t.astype(np.int64)


def _groups(t: np.ndarray):
    """Stable order of symbols by table and (table, start, stop) runs; same on both sides."""
    perm = np.argsort(t, kind="stable")
    ts = t[perm]
    uniq, starts = np.unique(ts, return_index=True)
    stops = np.append(starts[1:], ts.size)
    return perm, zip(uniq.tolist(), starts.tolist(), stops.tolist())


def _seed(segment: int) -> int:
    """The symbol CRC starts from CRC32 of the segment index (u32 LE): a segment moved elsewhere fails."""
    if not 0 <= int(segment) < 2**32:
        raise ValueError("segment index must fit u32")
    return zlib.crc32(int(segment).to_bytes(4, "little"))


def _crc(arr: np.ndarray, crc: int) -> int:
    return zlib.crc32(np.ascontiguousarray(arr, dtype="<i4").tobytes(), crc)


class SegmentEncoder:
    """Buffers symbol groups of one segment; ``finish()`` returns the payload bytes."""

    def __init__(self, tables: IntCdfTables | None = None, *, segment: int = 0):
        self.tables = tables
        self._ops: list[tuple] = []  # (model, symbols int32, params or None), in decode order
        self._crc = _seed(segment)
        self._done = False
        self.n_symbols = 0   # residuals + categorical values coded so far
        self.n_escapes = 0   # residuals with |r| > GAUSS_RANGE
        self.n_clamped = 0   # categorical values moved into their table's support

    def _live(self) -> None:
        if self._done:
            raise RuntimeError("SegmentEncoder already finished")

    def gaussian(self, residuals, scale_idx) -> np.ndarray:
        """Code int32-range residuals under N(0, SCALE_TABLE[scale_idx]); returns them as int32."""
        self._live()
        r = _ints(residuals, "residuals")
        if r.shape != np.shape(scale_idx):
            raise ValueError(f"residuals {r.shape} and scale_idx {np.shape(scale_idx)} differ in shape")
        idx = _check_scale_idx(scale_idx)
        r64 = r.reshape(-1).astype(np.int64)
        if r64.size and (r64.min() < -_I32_MAX - 1 or r64.max() > _I32_MAX):
            raise ValueError("residuals must fit int32")
        if r64.size == 0:
            return r.astype(np.int32)
        sym = np.clip(r64, -ESCAPE, ESCAPE).astype(np.int32)
        self._ops.append((_GAUSS, sym, SCALE_TABLE[idx]))
        self._crc = _crc(sym, self._crc)
        esc = np.abs(r64) > GAUSS_RANGE
        n_esc = int(esc.sum())
        if n_esc:
            excess = np.abs(r64[esc]) - ESCAPE
            chunks = np.stack([excess & 0xFFFF, excess >> _CHUNK_BITS], axis=1).reshape(-1)
            chunks = chunks.astype(np.int32)
            self._ops.append((_CHUNK, chunks, None))
            self._crc = _crc(chunks, self._crc)
        self.n_symbols += r64.size
        self.n_escapes += n_esc
        return r64.astype(np.int32).reshape(r.shape)

    def categorical(self, values, table_idx) -> np.ndarray:
        """Code values under their tables, clamping out-of-range ones; returns the coded values."""
        self._live()
        v = _ints(values, "values")
        if v.shape != np.shape(table_idx):
            raise ValueError(f"values {v.shape} and table_idx {np.shape(table_idx)} differ in shape")
        t = _check_table_idx(table_idx, self.tables)
        tab = self.tables
        off = tab.offsets[t].astype(np.int64)
        want = v.reshape(-1).astype(np.int64) - off
        j = np.clip(want, 0, tab.lengths[t] - 1).astype(np.int32)
        self.n_clamped += int(np.count_nonzero(j != want))
        self._crc = _crc(j, self._crc)
        perm, runs = _groups(t)
        js = j[perm]
        for u, a, b in runs:
            if tab.lengths[u] > 1:  # one-symbol tables carry no information: nothing is coded
                self._ops.append((tab.model(u), js[a:b], None))
        self.n_symbols += j.size
        return (j + off).astype(np.int32).reshape(v.shape)

    def finish(self) -> bytes:
        """Push the buffered groups in reverse and return CRC32 (u32 LE) + ANS words (u32 LE)."""
        self._live()
        self._done = True
        coder = constriction.stream.stack.AnsCoder()
        for model, sym, params in reversed(self._ops):
            if params is None:
                coder.encode_reverse(sym, model)
            else:
                coder.encode_reverse(sym, model, params)
        words = coder.get_compressed().astype("<u4")
        self._ops.clear()
        return self._crc.to_bytes(4, "little") + words.tobytes()


class SegmentDecoder:
    """Decodes one segment payload; call it exactly as the encoder was called, then ``finish()``."""

    def __init__(self, payload: bytes, tables: IntCdfTables | None = None, *, segment: int | None = None):
        self.tables = tables
        self.segment = segment
        self._crc = _seed(segment or 0)
        self._done = False
        self.n_symbols = 0
        n = len(payload)
        if n < 4 or (n - 4) % 4:
            raise TruncatedError(f"segment {segment}: payload of {n} bytes is not CRC + whole 32-bit words")
        self._stored_crc = int.from_bytes(bytes(payload[:4]), "little")
        words = np.frombuffer(payload, dtype="<u4", offset=4).astype(np.uint32)
        self._coder = self._guard(lambda: constriction.stream.stack.AnsCoder(words))

    def _guard(self, fn):
        """Run a constriction call; any failure (PanicException included) becomes DesyncError."""
        try:
            return fn()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # pyo3 PanicException derives from BaseException
            raise DesyncError(f"entropy decoder failed ({type(e).__name__}: {e})".splitlines()[0],
                              self.segment) from None

    def _live(self) -> None:
        if self._done:
            raise RuntimeError("SegmentDecoder already finished")

    def gaussian(self, scale_idx) -> np.ndarray:
        """Decode residuals coded with these scale indices; int32, shaped like scale_idx."""
        self._live()
        shape = np.shape(scale_idx)
        idx = _check_scale_idx(scale_idx)
        if idx.size == 0:
            return np.zeros(shape, np.int32)
        std = SCALE_TABLE[idx]
        sym = np.asarray(self._guard(lambda: self._coder.decode(_GAUSS, std)), np.int32)
        self._crc = _crc(sym, self._crc)
        r = sym.astype(np.int64)
        esc = np.abs(r) == ESCAPE
        n_esc = int(esc.sum())
        if n_esc:
            chunks = np.asarray(self._guard(lambda: self._coder.decode(_CHUNK, 2 * n_esc)), np.int32)
            self._crc = _crc(chunks, self._crc)
            c = chunks.astype(np.int64).reshape(n_esc, 2)
            mag = ESCAPE + c[:, 0] + (c[:, 1] << _CHUNK_BITS)
            neg = r[esc] < 0
            if np.any(mag > np.where(neg, _I32_MAX + 1, _I32_MAX)):
                raise DesyncError("escaped residual outside int32", self.segment)
            r[esc] = np.where(neg, -mag, mag)
        self.n_symbols += r.size
        return r.astype(np.int32).reshape(shape)

    def categorical(self, table_idx) -> np.ndarray:
        """Decode categorical values for these table indices; int32, shaped like table_idx."""
        self._live()
        shape = np.shape(table_idx)
        t = _check_table_idx(table_idx, self.tables)
        tab = self.tables
        j = np.zeros(t.size, np.int32)
        perm, runs = _groups(t)
        for u, a, b in runs:
            if tab.lengths[u] > 1:
                m = tab.model(u)
                j[perm[a:b]] = self._guard(lambda: self._coder.decode(m, b - a))
        self._crc = _crc(j, self._crc)
        self.n_symbols += j.size
        return (j + tab.offsets[t]).astype(np.int32).reshape(shape)

    def finish(self) -> None:
        """Raise DesyncError unless the symbol CRC matches and no compressed words are left."""
        self._live()
        self._done = True
        if self._crc != self._stored_crc:
            raise DesyncError(f"symbol CRC32 mismatch (stored {self._stored_crc:08x}, "
                              f"decoded {self._crc:08x})", self.segment)
        if not self._guard(self._coder.is_empty):
            left = self._guard(self._coder.num_words)
            raise DesyncError(f"{left} compressed word(s) left over after the last symbol", self.segment)
