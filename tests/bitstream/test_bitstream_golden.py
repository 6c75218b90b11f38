"""Golden files: every format version's sample decodes forever, and the writer still makes it.

Regenerate only on purpose (a format change): DSAE_REGEN_GOLDEN=1 pytest tests/bitstream -k golden
"""
import os
from pathlib import Path

import numpy as np
import pytest

from bitstream import pack, unpack
from bitstream_samples import decode_segment, encode_sample, expected_segment

GOLDEN = Path(__file__).parent / "golden" / "sample_v1.0.dsae"


def test_golden_v1_0_decodes():
    if os.environ.get("DSAE_REGEN_GOLDEN") == "1":
        GOLDEN.write_bytes(pack(*encode_sample()))
    h, segs = unpack(GOLDEN.read_bytes())
    assert (h.model, h.n_segments, h.coder) == ("dsae-test", 4, "ans32-gauss64-v1")
    for i, seg in enumerate(segs):
        for got, want in zip(decode_segment(seg, i), expected_segment(i)):
            assert np.array_equal(got, want)


def test_writer_still_produces_the_golden_bytes():
    if not GOLDEN.exists():
        pytest.skip("no golden file")
    assert pack(*encode_sample()) == GOLDEN.read_bytes(), "encoder output changed: a format change?"
