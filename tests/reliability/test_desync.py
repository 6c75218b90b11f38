"""Desync guards on real codec streams: one flipped symbol, and a decoder given other weights.

FORMAT.md §3: a payload is the u32 symbol CRC + ANS words. Flipping one symbol of the last Gaussian call
(nothing later depends on it) and re-coding gives words that decode cleanly; with the stored symbol CRC
kept and the segment CRC recomputed, only the symbol CRC can tell, and it must (DesyncError).
"""
from fractions import Fraction

import numpy as np
import pytest
import torch

from bitstream import DesyncError, SegmentEncoder, pack, unpack
from codec import api
from codec.errors import ModelError
from codec.models import get_model

MODEL = "tiny-dsae-factorised"


def recorded_encode(monkeypatch, frames, model, quality=3):
    """Encodes and records every symbol call of the (single) batch: [(kind, values (B, n), params (B, n))]."""
    calls = []

    class Recording(api.EncodeChannel):
        def categorical(self, values, table_idx):
            out = super().categorical(values, table_idx)
            calls.append(("c", out.copy(), np.array(table_idx)))
            return out

        def gaussian(self, residuals, scale_idx):
            out = super().gaussian(residuals, scale_idx)
            calls.append(("g", out.copy(), np.array(scale_idx)))
            return out
    with monkeypatch.context() as mp:
        mp.setattr(api, "EncodeChannel", Recording)
        data = api.encode_frames(frames, Fraction(25), model=model, quality=quality)
    return data, calls


def recode(calls, tables, segment: int = 0, flip: tuple[int, int, int] | None = None) -> bytes:
    """The batch's segment payload from the recorded calls, with symbol `flip=(call, seq, j)` changed by one."""
    enc = SegmentEncoder(tables, segment=segment)
    for k, (kind, values, params) in enumerate(calls):
        v = values.copy()
        if flip and flip[0] == k:
            v[flip[1], flip[2]] += 1
        if kind == "c":
            enc.categorical(v.reshape(-1), params.reshape(-1))
        else:
            enc.gaussian(v, params)
    return enc.finish()


def test_one_flipped_symbol_is_caught_by_the_symbol_crc(models_env, monkeypatch):
    m = get_model(MODEL)
    frames = np.random.default_rng(5).integers(0, 256, (4, 16, 32, 3), dtype=np.uint8)  # 2 tiles, 1 segment
    data, calls = recorded_encode(monkeypatch, frames, m)
    header, payloads = unpack(data)
    assert len(payloads) == 1 and recode(calls, m.cdf) == payloads[0]  # the recording is complete
    last = max(k for k, c in enumerate(calls) if c[0] == "g")
    seg = 0
    flipped = recode(calls, m.cdf, flip=(last, 1, 0))
    assert flipped[4:] != payloads[seg][4:]
    segs = list(payloads)
    segs[seg] = flipped  # its own symbol CRC: a valid segment with other content
    api.decode_bytes(pack(header, segs))
    segs[seg] = payloads[seg][:4] + flipped[4:]  # the stored symbol CRC kept, segment CRC recomputed by pack
    with pytest.raises(DesyncError, match=f"segment {seg}: symbol CRC32 mismatch"):
        api.decode_bytes(pack(header, segs))


def test_explicit_model_with_other_weights_is_refused(models_env, tmp_path):
    """decode_bytes(model=...) checks the header's weights sha256 too: a model that shares the prior but not
    the frame decoder would otherwise decode every symbol cleanly into wrong frames."""
    from codec.weights import save_weights

    m = get_model(MODEL)
    frames = np.random.default_rng(6).integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    data = api.encode_frames(frames, model=m)
    model = m.model
    state = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.startswith("frame_dec"):
                    p.add_(0.05)
        save_weights(model, tmp_path / "other.safetensors")
    finally:
        model.load_state_dict(state)
    other = get_model(str(tmp_path / "other.safetensors"))
    with pytest.raises(ModelError, match="sha256"):
        api.decode_bytes(data, model=other)
    assert api.decode_bytes(data, model=m).frames.shape == frames.shape
