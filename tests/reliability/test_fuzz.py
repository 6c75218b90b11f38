"""The mutation fuzzer (benchmarks/fuzz.py) over golden tiny-model streams, decoded all the way to frames.

Passing means: only typed errors (DecodeError subclasses, ModelError, MediaError), no case over 2 s, peak
RSS under 2 GiB, and no CRC-covered mutation that decodes to other frames. 1,000 cases by default;
100,000 with `-m slow` (also: python -m benchmarks.fuzz --cases 100000 --seed 1).
"""
import json

import pytest

from benchmarks import fuzz


def check(res: dict, cases: int) -> None:
    print(json.dumps({k: v for k, v in res.items() if k not in ("failures", "by_mutator")}, indent=1))
    assert res["cases"] == cases
    assert not res["failures"], "\n".join(res["failures"][:5])
    assert res["max_case_seconds"] < fuzz.MAX_SECONDS
    rss = res["peak_rss_mib"]
    assert rss < fuzz.MAX_RSS / 2**20 or rss == res["peak_rss_before_mib"]  # or the peak predates the fuzzing
    assert len(res["outcomes"]) >= 6  # the mutations reach many different checks


def test_fuzz_1000_cases():
    res = fuzz.fuzz(1000, seed=0)
    check(res, 1000)
    assert res["outcomes"].get("DesyncError", 0) > 50  # payload edits reach the entropy decoder


def test_replaying_one_case_is_deterministic():
    a, b = fuzz.fuzz(0, seed=3, only=17), fuzz.fuzz(0, seed=3, only=17)
    assert a["outcomes"] == b["outcomes"] and a["by_mutator"] == b["by_mutator"]


@pytest.mark.slow
def test_fuzz_100000_cases():
    check(fuzz.fuzz(100_000, seed=1), 100_000)
