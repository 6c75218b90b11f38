"""SymbolChannel implementations over bitstream/: one ANS segment coder per sequence of a batch."""
from __future__ import annotations

import numpy as np

from bitstream import IntCdfTables, SegmentDecoder, SegmentEncoder


class EncodeChannel:
    """Encoder side: values (B, n) go to B SegmentEncoders; returns what was coded (clamped if needed)."""

    def __init__(self, B: int, tables: IntCdfTables) -> None:
        self.coders = [SegmentEncoder(tables) for _ in range(B)]

    def categorical(self, values, table_idx):
        return np.stack([c.categorical(v, t) for c, v, t in zip(self.coders, values, table_idx)])

    def gaussian(self, residuals, scale_idx):
        return np.stack([c.gaussian(r, i) for c, r, i in zip(self.coders, residuals, scale_idx)])

    def finish(self) -> list[bytes]:
        return [c.finish() for c in self.coders]

    @property
    def n_clamped(self) -> int:
        return sum(c.n_clamped for c in self.coders)


class DecodeChannel:
    """Decoder side: B SegmentDecoders answer the same calls with decoded symbols."""

    def __init__(self, payloads: list[bytes], tables: IntCdfTables, first_index: int = 0) -> None:
        self.coders = [SegmentDecoder(p, tables, segment=first_index + i) for i, p in enumerate(payloads)]

    def categorical(self, values, table_idx):
        return np.stack([c.categorical(t) for c, t in zip(self.coders, table_idx)])

    def gaussian(self, residuals, scale_idx):
        return np.stack([c.gaussian(i) for c, i in zip(self.coders, scale_idx)])

    def finish(self) -> None:
        for c in self.coders:
            c.finish()
