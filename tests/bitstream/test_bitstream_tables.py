"""SCALE_TABLE is frozen format state; make_cdf_table is the one float -> integer quantiser."""
import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bitstream import SCALE_TABLE, IntCdfTables, make_cdf_table, snap_scale_index


def test_scale_table_is_frozen_format_state():
    formula = np.exp(np.linspace(np.log(0.11), np.log(256), 64))
    np.testing.assert_allclose(SCALE_TABLE, formula, rtol=1e-13)
    assert SCALE_TABLE.dtype == np.float64 and np.all(np.diff(SCALE_TABLE) > 0)
    assert SCALE_TABLE[0] == pytest.approx(0.11) and SCALE_TABLE[-1] == pytest.approx(256)
    # The exact bytes are part of format 1.x: changing them breaks every existing file.
    assert zlib.crc32(SCALE_TABLE.astype("<f8").tobytes()) == 0x26B6A6D2


def test_snap_scale_index_picks_smallest_entry_at_or_above():
    assert snap_scale_index(SCALE_TABLE).tolist() == list(range(64))
    above = np.nextafter(SCALE_TABLE[:-1], np.inf)
    assert snap_scale_index(above).tolist() == list(range(1, 64))
    assert snap_scale_index(np.array([0.0, -3.0, 1e-9, 300.0, 1e30])).tolist() == [0, 0, 0, 63, 63]
    out = snap_scale_index(np.ones((2, 3)))
    assert out.shape == (2, 3) and out.dtype == np.int32
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError):
            snap_scale_index(np.array([1.0, bad]))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(4, 20), st.data())
def test_make_cdf_table_sums_floors_and_tracks_pmf(n, width, precision, data):
    width = min(width, 2**precision)
    pm = data.draw(hnp.arrays(np.float64, (n, width), elements=st.floats(0, 1e6)))
    lengths = data.draw(hnp.arrays(np.int64, n, elements=st.integers(1, width)))
    pm[:, 0] += 1e-3  # keep every row's sum positive
    tab = make_cdf_table(pm, offsets=np.arange(n) - 3, lengths=lengths, precision=precision)
    f = tab.freqs.astype(np.int64)
    assert np.all(f.sum(1) == 2**precision)
    for t in range(n):
        L = lengths[t]
        assert np.all(f[t, :L] >= 1) and np.all(f[t, L:] == 0)
        p = pm[t, :L] / pm[t, :L].sum()
        assert np.all(np.abs(f[t, :L] - 1 - p * (2**precision - L)) < 1 + 1e-6)
    again = make_cdf_table(pm, offsets=np.arange(n) - 3, lengths=lengths, precision=precision)
    assert np.array_equal(again.freqs, tab.freqs)


def test_make_cdf_table_rejects_bad_pmfs():
    for bad in ([[0.0, 0.0]], [[1.0, np.nan]], [[1.0, -0.5]], [[np.inf, 1.0]], [1.0, 2.0]):
        with pytest.raises(ValueError):
            make_cdf_table(np.array(bad))
    with pytest.raises(ValueError):
        make_cdf_table(np.ones((1, 5)), precision=2)  # 5 symbols cannot fit 2 bits
    with pytest.raises(ValueError):
        make_cdf_table(np.ones((2, 5)), lengths=[5, 6])


def test_int_cdf_tables_arrays_round_trip_and_validation():
    tab = make_cdf_table(np.array([[1.0, 2, 3], [1, 1, 0]]), offsets=[-1, 4], lengths=[3, 2])
    arrays = tab.to_arrays()
    assert all(a.dtype == np.int32 for a in arrays.values())
    back = IntCdfTables.from_arrays(arrays)
    assert np.array_equal(back.freqs, tab.freqs) and back.precision == 16
    assert back.offsets.tolist() == [-1, 4] and back.lengths.tolist() == [3, 2]
    broken = [dict(arrays, freqs=arrays["freqs"] + 1), dict(arrays, lengths=np.array([3, 4], np.int32)),
              dict(arrays, precision=np.array([30], np.int32)),
              dict(arrays, offsets=np.array([2**31 - 2, 0], np.int64)),
              dict(arrays, freqs=arrays["freqs"].astype(np.float32))]
    for a in broken:
        with pytest.raises(ValueError):
            IntCdfTables.from_arrays(a)


def test_categorical_models_use_exact_dyadic_probabilities():
    tab = make_cdf_table(np.array([[0.7, 0.2, 0.1]]), precision=12)
    assert tab.freqs.sum() == 4096 and math.isclose(tab.freqs[0, 0] / 4096, 0.7, abs_tol=1e-3)
    assert tab.model(0) is tab.model(0)  # built once
