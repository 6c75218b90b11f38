"""Mutation fuzzer for the whole decoder: mutated .bin streams -> codec.api.decode_bytes -> frames.

    python -m benchmarks.fuzz --cases 1000 --seed 0 [--json PATH] [--only I]

Seeds are valid streams of the tiny golden models (tests/data/golden/v1, registered through $DSAE_MODELS
for the run) plus a few encoded at start. Each case applies one mutation (`MUTATORS`): bit flips, byte
inserts/deletes/overwrites, truncations, whole-segment swaps/duplicates/drops/foreign splices (CRCs kept),
payload edits with the segment CRC recomputed, header fields set to extremes or to other valid values
(re-serialised, re-compressed, header CRC correct), and prefix edits. Then it decodes all the way to frames.

A case passes when decoding returns frames or raises a typed error: `bitstream.DecodeError` (exit 3), or
codec's `ModelError` (a header naming another or an unknown model, exit 5) / `MediaError` (an audio
header, exit 1). Anything else, a case over `MAX_SECONDS` (timed again once, since a loaded machine can
stall any case), a mutation that every CRC covers decoding to other frames, or a peak RSS over `MAX_RSS`
is a failure.
Case i draws from random.Random(f"{seed}:{i}"), so `--only i` replays it alone.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import struct
import sys
import time
import traceback
import zlib
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden" / "v1"
MAX_SECONDS = 2.0
MAX_RSS = 2 << 30
EXTREMES = [0, -1, 1, 2**31 - 1, 2**31, 2**32, 2**63, -2**63, 10**30, 4096, 4097, 65536, 2**22 + 1, 1e308,
            -1e308, 0.0, -0.0, 5e-324, 0.5, float("nan"), float("inf"), "", "x" * 65, "é", "video", "audio",
            None, True, False, [], {}, [1, 2], {"a": 1}, "0" * 16]


# ---- container surgery (seeds are valid, so a plain split suffices) ----

def split(data: bytes) -> tuple[tuple, bytes, list[bytes]]:
    """-> ((major, minor, flags), header JSON, [payload, ...])."""
    from bitstream.container import inflate_header
    _, major, minor, flags, hlen = struct.unpack_from("<4sBBHI", data)
    header = inflate_header(data[12:12 + hlen])
    pos, segs = 16 + hlen, []
    while pos < len(data):
        (n,) = struct.unpack_from("<I", data, pos)
        segs.append(data[pos + 4:pos + 4 + n])
        pos += n + 8
    return (major, minor, flags), header, segs


def join(prefix: tuple, header: bytes, segs: list[bytes], bad_crc: set[int] = frozenset()) -> bytes:
    """Container bytes with correct CRCs (except for segments in bad_crc)."""
    from bitstream.container import deflate_header
    hb = deflate_header(header)
    out = [struct.pack("<4sBBHI", b"DSAE", *prefix, len(hb)), hb, struct.pack("<I", zlib.crc32(hb))]
    for i, s in enumerate(segs):
        out += [struct.pack("<I", len(s)), s, struct.pack("<I", (zlib.crc32(s) ^ (i in bad_crc)) & 0xFFFFFFFF)]
    return b"".join(out)


def _dump(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# ---- mutators: (rng, data, parts, seeds) -> bytes ----

def bit_flips(rng, data, parts, seeds):
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    return bytes(b)


def byte_insert(rng, data, parts, seeds):
    i = rng.randrange(len(data) + 1)
    n = rng.randint(1, 16)
    return data[:i] + (bytes([rng.randrange(256)]) * n if rng.random() < 0.5 else rng.randbytes(n)) + data[i:]


def byte_delete(rng, data, parts, seeds):
    i = rng.randrange(len(data))
    return data[:i] + data[i + rng.randint(1, 16):]


def byte_set(rng, data, parts, seeds):
    b = bytearray(data)
    b[rng.randrange(len(b))] = rng.choice([0, 0xFF, 0x7F, 0x80, rng.randrange(256)])
    return bytes(b)


def truncate(rng, data, parts, seeds):
    return data[:rng.randrange(len(data))]


def segment_splice(rng, data, parts, seeds):
    """Whole segments swapped, duplicated, dropped or taken from another stream; CRCs kept or broken."""
    prefix, header, segs = parts
    segs = list(segs)
    op = rng.choice(["swap", "dup", "drop", "foreign", "insert", "reverse"])
    i, j = rng.randrange(len(segs)), rng.randrange(len(segs))
    if op == "swap":
        segs[i], segs[j] = segs[j], segs[i]
    elif op == "dup":
        segs[j] = segs[i]
    elif op == "drop":
        del segs[i]
    elif op == "insert":
        segs.insert(j, segs[i])
    elif op == "reverse":
        segs.reverse()
    else:
        segs[i] = rng.choice(rng.choice(seeds)[2][2])  # a whole segment of another stream
    bad = {rng.randrange(max(len(segs), 1))} if rng.random() < 0.2 else set()
    return join(prefix, header, segs, bad)


def payload_edit(rng, data, parts, seeds):
    """Edit inside one payload and recompute its CRC, so the entropy decoder and the model see it."""
    prefix, header, segs = parts
    segs = list(segs)
    i = rng.randrange(len(segs))
    p = bytearray(segs[i])
    op = rng.choice(["flip", "flip", "symcrc", "words", "grow", "shrink"])
    if op == "flip" and p:
        for _ in range(rng.randint(1, 3)):
            p[rng.randrange(len(p))] ^= 1 << rng.randrange(8)
    elif op == "symcrc" and len(p) >= 4:
        p[rng.randrange(4)] ^= 1 << rng.randrange(8)
    elif op == "words":
        p = p[:4] + rng.randbytes(4 * rng.randint(0, 8))
    elif op == "grow":
        p += rng.randbytes(rng.choice([1, 4, 8]))
    else:
        p = p[:max(0, len(p) - rng.choice([1, 4, 8]))]
    segs[i] = bytes(p)
    return join(prefix, header, segs)


def header_extreme(rng, data, parts, seeds):
    """One header key set to an extreme or wrong-typed value, or deleted, or an unknown key added."""
    prefix, header, segs = parts
    obj = json.loads(header)
    key = rng.choice(sorted(obj) + ["__new__"])
    if key == "__new__":
        obj["zz_" + str(rng.randrange(100))] = rng.choice(EXTREMES)
    elif rng.random() < 0.1:
        del obj[key]
    else:
        obj[key] = rng.choice(EXTREMES)
    return join(prefix, json.dumps(obj, sort_keys=True, separators=(",", ":")).encode(), segs)


def header_valid(rng, data, parts, seeds):
    """A header that stays valid but lies: other quality, fps, size, length, fit, model or weights."""
    from codec.models import available
    prefix, header, segs = parts
    h = json.loads(header)
    T, tw, th = h["segment_len"], h["tile_width"], h["tile_height"]
    op = rng.choice(["quality", "fps", "size", "frames", "fit", "model", "sha", "extra"])
    if op == "quality":
        h["quality"] = rng.choice([0, 1, 2, 3, 4, 255])
    elif op == "fps":
        h["fps_num"], h["fps_den"] = rng.choice([(1, 10**6), (10**6, 1), (7, 3)])
    elif op == "size" and not h["fit"]:  # any size with the same tile grid
        h["width"] = rng.randint((h["tiles_x"] - 1) * tw + 1, h["tiles_x"] * tw)
        h["height"] = rng.randint((h["tiles_y"] - 1) * th + 1, h["tiles_y"] * th)
    elif op == "size":
        h["width"], h["height"] = rng.randint(1, 300), rng.randint(1, 300)
    elif op == "frames":  # the same number of time segments, another length
        n_time = -(-h["n_frames"] // T)
        h["n_frames"] = rng.randint((n_time - 1) * T + 1, n_time * T)
    elif op == "fit" and h["tiles_x"] == h["tiles_y"] == 1:
        h["fit"] = not h["fit"]
    elif op in ("model", "sha"):
        name = rng.choice(sorted(available()) + ["no-such-model"])
        h["model"] = name
        if op == "sha" and name in available():
            from codec.weights import sha256_file
            h["weights_sha256"] = sha256_file(available()[name])[:16]
    else:
        h["extra"] = rng.choice([{}, {"channels": 1}, {"channels": "x"}, {"deep": [[[[]]]]}])
    return join(prefix, _dump(h), segs)


def prefix_edit(rng, data, parts, seeds):
    """Major, minor, flags or header length set to something else (the header CRC still matches)."""
    b = bytearray(data)
    off, fmt = rng.choice([(4, "B"), (5, "B"), (6, "H"), (8, "I")])
    value = rng.choice([0, 1, 2, 255, 2**16 - 1, 2**32 - 1]) % (1 << (8 * struct.calcsize(fmt)))
    struct.pack_into("<" + fmt, b, off, value)
    return bytes(b)


MUTATORS = [bit_flips, byte_insert, byte_delete, byte_set, truncate, segment_splice, payload_edit,
            payload_edit, header_extreme, header_extreme, header_valid, prefix_edit]


# ---- running ----

@contextlib.contextmanager
def models_on_path(models_dir: Path):
    old = os.environ.get("DSAE_MODELS")
    os.environ["DSAE_MODELS"] = str(models_dir)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("DSAE_MODELS", None)
        else:
            os.environ["DSAE_MODELS"] = old


def make_seeds(models_dir: Path = GOLDEN) -> list[tuple[str, bytes, tuple, np.ndarray]]:
    """Valid streams (name, bytes, split parts, decoded frames): the golden .bin files plus a few encoded
    now (1x1, tiled noise, fit)."""
    from codec import api
    from codec.models import get_model
    streams = [(p.name, p.read_bytes()) for p in sorted(models_dir.glob("*.bin"))]
    rng = np.random.default_rng(0)
    extra = [("1x1", "golden-dsae-full", (1, 1, 1), False),
             ("noise-33x17", "golden-dsae-factorised", (9, 17, 33), False),
             ("fit-noise", "golden-lstm-c", (5, 30, 20), True)]
    for name, model, shape, fit in extra:
        x = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        streams.append((name, api.encode_frames(x, Fraction(25), model=get_model(model), fit=fit)))
    return [(n, d, split(d), api.decode_bytes(d).frames) for n, d in streams]


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


# Mutations that every CRC covers: decoding them to other frames without an error is a failure.
STRICT = {"bit_flips", "byte_insert", "byte_delete", "byte_set", "truncate", "payload_edit", "prefix_edit"}


def run_case(i: int, seed: int, seeds) -> tuple[str, str, float, str | None]:
    """-> (mutator, outcome, seconds, failure text or None). Outcomes: 'ok' (the seed's frames), 'ok-altered'
    (other frames, e.g. a lying header or moved whole segments), or the error class."""
    from bitstream import DecodeError
    from codec import api
    from codec.errors import MediaError, ModelError
    rng = random.Random(f"{seed}:{i}")
    name, data, parts, ref = seeds[rng.randrange(len(seeds))]
    mut = rng.choice(MUTATORS)
    bad = mut(rng, data, parts, seeds)
    t0 = time.perf_counter()
    fail = None
    try:
        frames = api.decode_bytes(bad).frames
        assert frames.dtype == np.uint8 and frames.ndim == 4 and frames.shape[-1] == 3
        outcome = "ok" if np.array_equal(frames, ref) else "ok-altered"
    except (DecodeError, ModelError, MediaError) as e:
        outcome = type(e).__name__
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - anything untyped is what we hunt
        outcome = type(e).__name__
        fail = f"case {i} ({mut.__name__} on {name}): {type(e).__name__}: {e}\n{traceback.format_exc(limit=-4)}"
    dt = time.perf_counter() - t0
    if outcome == "ok-altered" and mut.__name__ in STRICT:
        fail = f"case {i} ({mut.__name__} on {name}): decoded to other frames without an error"
    return mut.__name__, outcome, dt, fail


def fuzz(cases: int, seed: int = 0, only: int | None = None, models_dir: Path = GOLDEN) -> dict:
    """Runs the cases; returns counts by outcome and mutator, max seconds, peak RSS and failures."""
    import torch
    torch.set_num_threads(1)
    rss0 = peak_rss()
    with models_on_path(models_dir):
        seeds = make_seeds(models_dir)
        outcomes, by_mut, failures, retimed, t_max = Counter(), Counter(), [], [], 0.0
        t0 = time.perf_counter()
        for i in ([only] if only is not None else range(cases)):
            mut, outcome, dt, fail = run_case(i, seed, seeds)
            outcomes[outcome] += 1
            by_mut[f"{mut} -> {outcome}"] += 1
            if dt > MAX_SECONDS and fail is None:  # a loaded machine may stall us: slow only if slow twice
                again = run_case(i, seed, seeds)[2]
                retimed.append(f"case {i}: {dt:.2f} s, then {again:.2f} s")
                if again > MAX_SECONDS:
                    fail = f"case {i} ({mut}): took {dt:.2f} s, then {again:.2f} s"
                dt = again
            t_max = max(t_max, dt)
            if fail:
                failures.append(fail)
        wall = time.perf_counter() - t0
    rss = peak_rss()
    if rss > MAX_RSS and rss > rss0:  # a peak from before the fuzzing (e.g. in a test run) is not ours
        failures.append(f"peak RSS {rss / 2**20:.0f} MiB exceeds {MAX_RSS / 2**20:.0f} MiB")
    n = sum(outcomes.values())
    return {"cases": n, "seed": seed, "outcomes": dict(outcomes.most_common()),
            "by_mutator": dict(sorted(by_mut.items())),
            "max_case_seconds": round(t_max, 4), "cases_per_second": round(n / wall, 1), "wall_seconds": round(wall, 1),
            "retimed": retimed, "peak_rss_mib": round(rss / 2**20, 1),
            "peak_rss_before_mib": round(rss0 / 2**20, 1), "failures": failures, "seeds": [s[0] for s in seeds],
            "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
                       f"python {platform.python_version()}",
            "command": f"python -m benchmarks.fuzz --cases {cases} --seed {seed}"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", type=int, default=None, help="replay one case index")
    ap.add_argument("--json", type=Path, default=None, help="write the summary here")
    args = ap.parse_args(argv)
    res = fuzz(args.cases, args.seed, args.only)
    for f in res["failures"][:20]:
        print(f, file=sys.stderr)
    summary = {k: v for k, v in res.items() if k != "failures"} | {"n_failures": len(res["failures"])}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 1 if res["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
