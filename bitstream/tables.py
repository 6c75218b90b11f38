"""Fixed entropy-model tables: the Gaussian scale table and integer categorical CDFs.

Both sides of the codec must build bit-identical entropy models, so nothing that reaches the
coder is a free float: Gaussian stds are indices into ``SCALE_TABLE`` (part of format 1.x), and
categorical densities are integer frequency tables made by ``make_cdf_table`` alone
(CompressAI's "discretise before the coder"). See FORMAT.md for the exact rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["SCALE_TABLE", "SCALE_MIN", "SCALE_MAX", "N_SCALES", "snap_scale_index",
           "IntCdfTables", "make_cdf_table", "MAX_CDF_PRECISION"]

SCALE_MIN, SCALE_MAX, N_SCALES = 0.11, 256.0, 64

# exp(linspace(log 0.11, log 256, 64)), written out so that no platform's exp() can change it.
# These exact float64 values are part of format version 1 (a test pins their CRC32).
SCALE_TABLE = np.array([
    0.11000000000000001, 0.12440410337871263, 0.14069437215874012, 0.1591177928985361,
    0.17995369415583695, 0.20351798155585424, 0.23016792742637654, 0.26030758761831785,
    0.29439392763938627, 0.33294375098286777, 0.3765415346960821, 0.4258482909882771,
    0.4816115892341247, 0.5446768903224373, 0.6160003651969836, 0.6966633919390023,
    0.787888951190402, 0.891060168498511, 1.0077412847140166, 1.1397013723869016,
    1.2889411577389158, 1.4577233548766322, 1.64860697216033, 1.8644861108681825,
    2.108633844405629, 2.3847518433390005, 2.697026498648367, 3.0501923941179885,
    3.4496040902074285, 3.9013173077617713, 4.412180742435963, 4.989939901886986,
    5.643354540071924, 6.382331469143952, 7.218074762587224, 8.163255626910708,
    9.232204517427787, 10.441128410904577, 11.808356529278065, 13.354618240009122,
    15.103357346484879, 17.08108753361584, 19.317794357752575, 21.847389875732397,
    24.708226805960464, 27.943680017030772, 31.602804160185098, 35.74107741637158,
    40.42124263429875, 45.71425861248478, 51.70037594826147, 58.4703537653257,
    66.12683576737696, 74.78590648101743, 84.57885128304754, 95.65414689699084,
    108.17971253796195, 122.3454558368367, 138.36615214401417, 156.48470086762356,
    176.9758082174797, 200.15015219107792, 226.3590929494899, 255.99999999999997,
], dtype=np.float64)
SCALE_TABLE.setflags(write=False)

MAX_CDF_PRECISION = 24  # constriction quantises to 24 bits internally
_I32 = np.iinfo(np.int32)


def snap_scale_index(std: np.ndarray) -> np.ndarray:
    """Index of the smallest SCALE_TABLE entry >= std, clipped to [0, 63] (int32, same shape)."""
    std = np.asarray(std, dtype=np.float64)
    if not np.all(np.isfinite(std)):
        raise ValueError("snap_scale_index: std contains NaN or inf")
    idx = np.searchsorted(SCALE_TABLE, std, side="left")
    return np.minimum(idx, N_SCALES - 1).astype(np.int32)


@dataclass(eq=False)
class IntCdfTables:
    """Integer categorical tables: ``freqs[t, :lengths[t]]`` sum to ``2**precision``, each >= 1.

    Symbol index j of table t stands for the value ``offsets[t] + j``; entries past
    ``lengths[t]`` are zero padding. Build with ``make_cdf_table``; store with ``to_arrays``.
    """

    freqs: np.ndarray    # (n_tables, max_len) int32
    offsets: np.ndarray  # (n_tables,) int32, value of symbol index 0
    lengths: np.ndarray  # (n_tables,) int32, alphabet size of each table
    precision: int = 16
    _models: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.freqs = _int_array(self.freqs, "freqs", ndim=2)
        self.offsets = _int_array(self.offsets, "offsets", ndim=1)
        self.lengths = _int_array(self.lengths, "lengths", ndim=1)
        p = self.precision
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 1 <= p <= MAX_CDF_PRECISION:
            raise ValueError(f"precision must be an int in 1..{MAX_CDF_PRECISION}, got {p!r}")
        self.precision = int(p)
        n, max_len = self.freqs.shape
        if n < 1 or self.offsets.shape != (n,) or self.lengths.shape != (n,):
            raise ValueError("freqs, offsets and lengths disagree on the number of tables")
        if np.any(self.lengths < 1) or np.any(self.lengths > max_len):
            raise ValueError("lengths must lie in 1..freqs.shape[1]")
        if np.any(self.offsets.astype(np.int64) + self.lengths - 1 > _I32.max):
            raise ValueError("offsets + lengths - 1 overflows int32")
        inside = np.arange(max_len)[None, :] < self.lengths[:, None]
        if np.any(self.freqs[~inside] != 0) or np.any(self.freqs[inside] < 1):
            raise ValueError("freqs must be >= 1 inside each table and 0 in the padding")
        if np.any(self.freqs.astype(np.int64).sum(axis=1) != 1 << p):
            raise ValueError(f"every table's freqs must sum to 2**{p}")

    @property
    def n_tables(self) -> int:
        return int(self.freqs.shape[0])

    def model(self, t: int):
        """The constriction Categorical for table t (built once, from freq / 2**precision)."""
        m = self._models.get(t)
        if m is None:
            import constriction
            probs = self.freqs[t, : self.lengths[t]].astype(np.float64) / float(1 << self.precision)
            m = constriction.stream.model.Categorical(probs, perfect=False)
            self._models[t] = m
        return m

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain int32 arrays (e.g. for safetensors); inverse of ``from_arrays``."""
        return {"freqs": self.freqs.copy(), "offsets": self.offsets.copy(),
                "lengths": self.lengths.copy(), "precision": np.array([self.precision], np.int32)}

    @classmethod
    def from_arrays(cls, arrays: dict) -> "IntCdfTables":
        prec = np.asarray(arrays["precision"]).reshape(-1)
        if prec.size != 1:
            raise ValueError("precision must hold one value")
        return cls(np.asarray(arrays["freqs"]), np.asarray(arrays["offsets"]),
                   np.asarray(arrays["lengths"]), int(prec[0]))


def _int_array(a, name: str, ndim: int) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != ndim or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must be a {ndim}-d integer array")
    if a.size and (a.min() < _I32.min or a.max() > _I32.max):
        raise ValueError(f"{name} does not fit int32")
    return np.ascontiguousarray(a, dtype=np.int32)


def make_cdf_table(pmfs: np.ndarray, offsets=None, lengths=None, precision: int = 16) -> IntCdfTables:
    """Quantise float pmfs (n_tables, L) to integer frequencies summing to 2**precision.

    Rule (FORMAT.md): with M = 2**precision - length, each entry gets 1 + floor(p * M) and the
    remaining units go, one each, to the largest fractional parts (ties: lower index). Every
    in-range symbol therefore keeps a frequency >= 1. Rows are normalised first; entries past
    ``lengths[t]`` are ignored.
    """
    pmfs = np.asarray(pmfs, dtype=np.float64)
    if pmfs.ndim != 2 or pmfs.shape[0] < 1 or pmfs.shape[1] < 1:
        raise ValueError("pmfs must have shape (n_tables, L) with n_tables, L >= 1")
    n, max_len = pmfs.shape
    lengths = np.full(n, max_len, np.int64) if lengths is None else np.asarray(lengths, np.int64)
    offsets = np.zeros(n, np.int64) if offsets is None else np.asarray(offsets, np.int64)
    if lengths.shape != (n,) or offsets.shape != (n,):
        raise ValueError("offsets and lengths must have shape (n_tables,)")
    if isinstance(precision, bool) or not 1 <= int(precision) <= MAX_CDF_PRECISION:
        raise ValueError(f"precision must lie in 1..{MAX_CDF_PRECISION}")
    if np.any(lengths < 1) or np.any(lengths > max_len) or np.any(lengths > 1 << precision):
        raise ValueError("lengths must lie in 1..min(L, 2**precision)")
    inside = np.arange(max_len)[None, :] < lengths[:, None]
    p = np.where(inside, pmfs, 0.0)
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError("pmfs must be finite and non-negative")
    total = p.sum(axis=1)
    if np.any(total <= 0) or not np.all(np.isfinite(total)):
        raise ValueError("every pmf row needs a positive finite sum")
    spare = (1 << precision) - lengths  # (n,) units left after the floor of 1
    scaled = p / total[:, None] * spare[:, None]
    base = np.minimum(np.floor(scaled), spare[:, None]).astype(np.int64)
    leftover = spare - base.sum(axis=1)
    frac = np.where(inside, scaled - base, -1.0)
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(max_len)[None, :].repeat(n, axis=0), axis=1)
    bonus = (rank < leftover[:, None]) & inside
    freqs = np.where(inside, 1 + base + bonus, 0)
    # leftover < length always holds unless rounding went astray; fix any excess deterministically
    err = freqs.sum(axis=1) - (1 << precision)
    if np.any(err != 0):
        for t in np.nonzero(err)[0]:
            j = int(np.argmax(freqs[t]))
            freqs[t, j] -= err[t]
            if freqs[t, j] < 1:
                raise ValueError("make_cdf_table: cannot normalise table")  # pragma: no cover
    return IntCdfTables(freqs.astype(np.int32), offsets, lengths, int(precision))
