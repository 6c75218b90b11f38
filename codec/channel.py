"""SymbolChannel implementations over bitstream/: one segment (one ANS stream) per model batch.

A batch of B sequences is one container segment: its symbols go into one SegmentEncoder in decode order
(f of all B sequences, then z_1 of all, z_2 of all, ...), so the fixed cost of a stream (framing, symbol
CRC, ANS flush: about 16 bytes) is paid once per batch instead of once per sequence.
"""
from __future__ import annotations

import numpy as np

from bitstream import IntCdfTables, SegmentDecoder, SegmentEncoder


class EncodeChannel:
    """Encoder side: (B, n) arrays go to one SegmentEncoder; returns what was coded (clamped if needed)."""

    def __init__(self, tables: IntCdfTables, segment: int) -> None:
        self.coder = SegmentEncoder(tables, segment=segment)

    def categorical(self, values, table_idx):
        v = np.asarray(values)
        return self.coder.categorical(v.reshape(-1), np.asarray(table_idx).reshape(-1)).reshape(v.shape)

    def gaussian(self, residuals, scale_idx):
        return self.coder.gaussian(residuals, scale_idx)

    def finish(self) -> bytes:
        return self.coder.finish()

    @property
    def n_clamped(self) -> int:
        return self.coder.n_clamped


class DecodeChannel:
    """Decoder side: one SegmentDecoder answers the same calls with decoded symbols."""

    def __init__(self, payload: bytes, tables: IntCdfTables, segment: int) -> None:
        self.coder = SegmentDecoder(payload, tables, segment=segment)

    def categorical(self, values, table_idx):
        t = np.asarray(table_idx)
        return self.coder.categorical(t.reshape(-1)).reshape(t.shape)

    def gaussian(self, residuals, scale_idx):
        return self.coder.gaussian(scale_idx)

    def finish(self) -> None:
        self.coder.finish()
