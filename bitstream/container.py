"""The .dsae container: fixed prefix, CRC'd JSON header, length-prefixed CRC'd segments.

Layout (all little-endian; FORMAT.md has the byte table):
    b"DSAE" | u8 major=1 | u8 minor=0 | u16 flags=0 | u32 header_len | header JSON | u32 CRC32(header)
    then n_segments x (u32 payload_len | payload | u32 CRC32(payload)), and nothing after.
Readers validate every declared size against documented caps and the real remaining bytes before
allocating, and raise only ``DecodeError`` subclasses. This module knows nothing of models or
media: the library API that encodes media lives in ``codec/``.
"""
from __future__ import annotations

import io
import json
import math
import re
import struct
import zlib
from dataclasses import asdict, dataclass, field, fields

from .errors import (BadMagicError, ChecksumError, DecodeError, HeaderError, LimitError,
                     TruncatedError, UnsupportedVersionError)

__all__ = ["MAGIC", "VERSION_MAJOR", "VERSION_MINOR", "Header", "write_container", "read_container",
           "read_header_and_sizes", "pack", "unpack", "PREFIX"]

MAGIC = b"DSAE"
VERSION_MAJOR, VERSION_MINOR = 1, 0
PREFIX = struct.Struct("<4sBBHI")  # magic, major, minor, flags, header_len (12 bytes)
_U32 = struct.Struct("<I")

# Caps, checked on read before anything is allocated (documented in FORMAT.md).
MAX_HEADER_BYTES = 65536
MAX_DIM = 4096            # width, height, tile_width, tile_height
MAX_TILES = 65536         # tiles_x * tiles_y
MAX_FRAMES = 2**22
MAX_SEGMENT_LEN = 1024    # T
MAX_SEGMENTS = 2**22
MAX_SEGMENT_BYTES = 2**28
MAX_SAMPLES = 2**34       # audio samples (about 25 h at 192 kHz)
MAX_FPS_TERM = 10**6      # fps_num and fps_den
MAX_QUALITY = 255
MAX_SEQS_PER_SEGMENT = 4096
MIN_RATE, MAX_RATE = 8000, 192000
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_HEX16 = re.compile(r"[0-9a-f]{16}")


@dataclass
class Header:
    """Everything a decoder needs besides the model weights (see FORMAT.md for each key)."""

    model: str            # stable model name, e.g. "dsae-sprites-v1"
    weights_sha256: str   # first 16 lowercase hex chars of the weights file's sha256
    media: str            # "video" | "audio"
    width: int            # original media size (0 for audio)
    height: int
    tile_width: int       # model frame size
    tile_height: int
    tiles_x: int
    tiles_y: int
    fit: bool             # frames were resized to the tile size instead of tiled
    fps_num: int          # frame rate fps_num / fps_den (audio: feature frame rate)
    fps_den: int
    sample_rate: int      # 0 for video
    n_frames: int
    n_samples: int        # audio sample count, 0 for video
    segment_len: int      # T
    quality: int
    step: float           # quantisation step (delta)
    coder: str            # entropy coder id, e.g. "ans32-gauss64-v1"
    n_segments: int
    seqs_per_segment: int = 1  # sequences (segment x tile) coded together in one segment / ANS stream
    extra: dict = field(default_factory=dict)  # small free-form JSON metadata

    def validate(self) -> None:
        """Raise LimitError / HeaderError unless every field has its type, cap and consistency."""
        _check_types(self)
        h = self
        _cap(len(h.model) <= 64 and len(h.coder) <= 64, "model and coder names are capped at 64 chars")
        _cap(_NAME.fullmatch(h.model), "model must be a name of 1..64 [A-Za-z0-9._+-]", HeaderError)
        _cap(_HEX16.fullmatch(h.weights_sha256), "weights_sha256 must be 16 lowercase hex chars", HeaderError)
        _cap(_NAME.fullmatch(h.coder), "coder must be a name of 1..64 [A-Za-z0-9._+-]", HeaderError)
        _cap(h.media in ("video", "audio"), f"media must be 'video' or 'audio', got {h.media!r}", HeaderError)
        for k in ("tile_width", "tile_height", "width", "height"):
            _cap(getattr(h, k) <= MAX_DIM, f"{k}={getattr(h, k)} exceeds {MAX_DIM}")
        _cap(h.tiles_x * h.tiles_y <= MAX_TILES, f"tiles {h.tiles_x}x{h.tiles_y} exceed {MAX_TILES}")
        _cap(h.n_frames <= MAX_FRAMES, f"n_frames={h.n_frames} exceeds {MAX_FRAMES}")
        _cap(h.segment_len <= MAX_SEGMENT_LEN, f"segment_len={h.segment_len} exceeds {MAX_SEGMENT_LEN}")
        _cap(h.n_segments <= MAX_SEGMENTS, f"n_segments={h.n_segments} exceeds {MAX_SEGMENTS}")
        _cap(h.n_samples <= MAX_SAMPLES, f"n_samples={h.n_samples} exceeds {MAX_SAMPLES}")
        _cap(h.fps_num <= MAX_FPS_TERM and h.fps_den <= MAX_FPS_TERM, f"fps terms exceed {MAX_FPS_TERM}")
        _cap(h.quality <= MAX_QUALITY, f"quality={h.quality} exceeds {MAX_QUALITY}")
        _cap(h.seqs_per_segment <= MAX_SEQS_PER_SEGMENT,
             f"seqs_per_segment={h.seqs_per_segment} exceeds {MAX_SEQS_PER_SEGMENT}")
        _cap(h.sample_rate <= MAX_RATE, f"sample_rate={h.sample_rate} exceeds {MAX_RATE}")
        bad = HeaderError
        for k in ("tile_width", "tile_height", "tiles_x", "tiles_y", "fps_num", "fps_den",
                  "n_frames", "segment_len", "n_segments", "seqs_per_segment"):
            _cap(getattr(h, k) >= 1, f"{k} must be >= 1, got {getattr(h, k)}", bad)
        _cap(h.quality >= 0, "quality must be >= 0", bad)
        _cap(math.isfinite(h.step) and h.step > 0, f"step must be finite and > 0, got {h.step}", bad)
        if h.media == "video":
            _cap(1 <= h.width and 1 <= h.height, "video width and height must be >= 1", bad)
            _cap(h.sample_rate == 0 and h.n_samples == 0, "video needs sample_rate = n_samples = 0", bad)
            if h.fit:
                _cap(h.tiles_x == 1 and h.tiles_y == 1, "fit=true needs tiles_x = tiles_y = 1", bad)
            else:
                _cap(h.tiles_x == -(-h.width // h.tile_width) and h.tiles_y == -(-h.height // h.tile_height),
                     "tiles_x/tiles_y must be ceil(width/tile_width) / ceil(height/tile_height)", bad)
        else:
            _cap(h.width == 0 and h.height == 0, "audio needs width = height = 0", bad)
            _cap(h.sample_rate >= MIN_RATE, f"audio sample_rate must lie in {MIN_RATE}..{MAX_RATE}", bad)
            _cap(h.n_samples >= 1, "audio needs n_samples >= 1", bad)
        want = expected_segments(h)
        _cap(h.n_segments == want, f"n_segments={h.n_segments} but the frame count, tiles and "
             f"seqs_per_segment give {want}", bad)

    def to_json(self) -> bytes:
        """Canonical header bytes: compact UTF-8 JSON with sorted keys."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> "Header":
        """Parse and validate header bytes; unknown keys are ignored (newer minor versions)."""
        try:
            obj = json.loads(bytes(data).decode("utf-8"), object_pairs_hook=_no_dupes,
                             parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise HeaderError(f"header is not valid UTF-8 JSON ({str(e).splitlines()[0][:80]})") from None
        if not isinstance(obj, dict):
            raise HeaderError("header JSON must be an object")
        missing = [f.name for f in fields(cls) if f.name != "extra" and f.name not in obj]
        if missing:
            raise HeaderError(f"header lacks key(s): {', '.join(missing)}")
        kw = {f.name: obj[f.name] for f in fields(cls) if f.name in obj}
        if isinstance(kw.get("step"), int) and not isinstance(kw["step"], bool):
            kw["step"] = float(kw["step"]) if abs(kw["step"]) < 2**1000 else math.inf
        h = cls(**kw)
        h.validate()
        return h


def _no_dupes(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        raise ValueError("duplicate key")
    return d


def _no_constant(name):
    raise ValueError(f"{name} is not allowed")


def _check_types(h: Header) -> None:
    for f in fields(h):
        v = getattr(h, f.name)
        want = {"str": str, "int": int, "bool": bool, "float": float, "dict": dict}[f.type]
        ok = isinstance(v, want) and (want is bool or not isinstance(v, bool))
        if not ok:
            raise HeaderError(f"header key {f.name!r} must be {f.type}, got {type(v).__name__}")


def _cap(ok, msg: str, err: type = LimitError) -> None:
    if not ok:
        raise err(msg)


class _Source:
    """Bounded reader over bytes or a file object whose remaining size is known."""

    def __init__(self, src):
        if isinstance(src, (bytes, bytearray, memoryview)):
            self.fo, self.size = io.BytesIO(src), len(src)
        else:
            self.fo = src
            try:
                start = src.tell()
                end = src.seek(0, io.SEEK_END)
                src.seek(start)
                self.size = end - start
            except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
                data = src.read()  # not seekable: the whole stream is the container
                self.fo, self.size = io.BytesIO(data), len(data)
        self.pos = 0

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def read(self, n: int, what: str) -> bytes:
        if n > self.remaining:
            raise TruncatedError(f"file ends inside {what}: needs {n} bytes, {self.remaining} left")
        data = self.fo.read(n)
        if len(data) != n:
            raise TruncatedError(f"file ends inside {what}")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        if n > self.remaining:
            raise TruncatedError(f"file ends inside {what}: needs {n} bytes, {self.remaining} left")
        self.fo.seek(n, io.SEEK_CUR)
        self.pos += n


# The header JSON is stored raw-DEFLATE-compressed (RFC 1951, no zlib wrapper) with this preset dictionary,
# which is part of format 1.x: a typical 360-byte header takes about 95 bytes (FORMAT.md §2).
HEADER_ZDICT = (b'{"coder":"ans32-gauss64-v1","extra":{"channels":3},"fit":false,"fps_den":1,"fps_num":25,'
                b'"height":64,"media":"video","model":"dsae-sprites","n_frames":8,"n_samples":0,"n_segments":1,'
                b'"quality":4,"sample_rate":0,"segment_len":8,"step":0.5,"tile_height":64,"tile_width":64,'
                b'"tiles_x":1,"tiles_y":1,"weights_sha256":"0000000000000000","width":64}')


def expected_segments(h: "Header") -> int:
    """Segments of a stream (FORMAT.md §1): sequences of full length, then those of the final short time
    segment (if any), each run grouped into segments of at most seqs_per_segment in file order."""
    tiles = h.tiles_x * h.tiles_y
    full = (h.n_frames // h.segment_len) * tiles
    part = tiles if h.n_frames % h.segment_len else 0
    g = h.seqs_per_segment
    return -(-full // g) + -(-part // g)


def deflate_header(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, zdict=HEADER_ZDICT)
    return c.compress(data) + c.flush()


def inflate_header(data: bytes) -> bytes:
    """Bounded inflate: at most MAX_HEADER_BYTES of JSON, and the stream must end exactly."""
    d = zlib.decompressobj(-15, zdict=HEADER_ZDICT)
    try:
        out = d.decompress(data, MAX_HEADER_BYTES)
        if d.unconsumed_tail:
            raise LimitError(f"header inflates to more than {MAX_HEADER_BYTES} bytes")
        out += d.flush()
    except zlib.error as e:
        raise HeaderError(f"header is not valid DEFLATE data ({e})") from None
    if not d.eof or d.unused_data:
        raise HeaderError("header DEFLATE stream is incomplete or has trailing bytes")
    return out


def _read_header(src: _Source) -> Header:
    magic, major, minor, flags, hlen = PREFIX.unpack(src.read(PREFIX.size, "the 12-byte prefix"))
    if magic != MAGIC:
        raise BadMagicError(f"not a dsae-codec file (magic {magic!r}, expected {MAGIC!r})")
    if major > VERSION_MAJOR:
        raise UnsupportedVersionError(f"file format {major}.x is newer than this decoder "
                                      f"({VERSION_MAJOR}.x); upgrade dsae-codec")
    if major < VERSION_MAJOR:
        raise UnsupportedVersionError(f"file format {major}.x is older than any this decoder reads "
                                      f"({VERSION_MAJOR}.x)")
    if minor <= VERSION_MINOR and flags != 0:
        raise HeaderError(f"reserved flags are {flags:#06x}, must be 0 in format 1.{minor}")
    if hlen > MAX_HEADER_BYTES:
        raise LimitError(f"header of {hlen} bytes exceeds {MAX_HEADER_BYTES}")
    data = src.read(hlen, "the header")
    (crc,) = _U32.unpack(src.read(4, "the header CRC"))
    if zlib.crc32(data) != crc:
        raise ChecksumError("header CRC32 mismatch")
    h = Header.from_json(inflate_header(data))
    if src.remaining < 8 * h.n_segments:
        raise TruncatedError(f"{h.n_segments} segments need at least {8 * h.n_segments} bytes, "
                             f"{src.remaining} left")
    return h


def _walk(src: _Source, h: Header, keep: bool):
    out = []
    for i in range(h.n_segments):
        (n,) = _U32.unpack(src.read(4, f"segment {i} length"))
        if n > MAX_SEGMENT_BYTES:
            raise LimitError(f"segment {i} declares {n} bytes, cap is {MAX_SEGMENT_BYTES}")
        if n + 4 + 8 * (h.n_segments - i - 1) > src.remaining:
            raise TruncatedError(f"segment {i} declares {n} bytes but the file is too short")
        if keep:
            payload = src.read(n, f"segment {i}")
            (crc,) = _U32.unpack(src.read(4, f"segment {i} CRC"))
            if zlib.crc32(payload) != crc:
                raise ChecksumError(f"segment {i} CRC32 mismatch")
            out.append(payload)
        else:
            src.skip(n + 4, f"segment {i}")
            out.append(n)
    if src.remaining:
        raise HeaderError(f"{src.remaining} unexpected byte(s) after the last segment")
    return out


def _guarded(fn, src):
    try:
        return fn(_Source(src))
    except DecodeError:
        raise
    except (struct.error, ValueError, TypeError, OverflowError, MemoryError, RecursionError) as e:
        raise HeaderError(f"malformed container ({type(e).__name__}: {str(e).splitlines()[0][:80]})") from None


def read_container(src) -> tuple[Header, list[bytes]]:
    """Read a container from bytes or a file object; only DecodeError subclasses escape."""
    def go(s: _Source):
        h = _read_header(s)
        return h, _walk(s, h, keep=True)
    return _guarded(go, src)


def read_header_and_sizes(src) -> tuple[Header, list[int]]:
    """Header plus each segment's payload size (framing checked, payload CRCs not), for `info`."""
    def go(s: _Source):
        h = _read_header(s)
        return h, _walk(s, h, keep=False)
    return _guarded(go, src)


def write_container(fo, header: Header, segments: list[bytes]) -> int:
    """Write header and segment payloads to a binary file object; returns the bytes written."""
    try:
        header.validate()
    except DecodeError as e:
        raise ValueError(f"invalid header: {e}") from None
    if len(segments) != header.n_segments:
        raise ValueError(f"header declares {header.n_segments} segments, got {len(segments)}")
    try:
        data = header.to_json()
    except (TypeError, ValueError) as e:
        raise ValueError(f"header is not JSON-serialisable: {e}") from None
    if len(data) > MAX_HEADER_BYTES:
        raise ValueError(f"header JSON is {len(data)} bytes, cap is {MAX_HEADER_BYTES}")
    data = deflate_header(data)
    parts = [PREFIX.pack(MAGIC, VERSION_MAJOR, VERSION_MINOR, 0, len(data)), data, _U32.pack(zlib.crc32(data))]
    for i, seg in enumerate(segments):
        seg = bytes(seg)
        if len(seg) > MAX_SEGMENT_BYTES:
            raise ValueError(f"segment {i} is {len(seg)} bytes, cap is {MAX_SEGMENT_BYTES}")
        parts += [_U32.pack(len(seg)), seg, _U32.pack(zlib.crc32(seg))]
    n = 0
    for p in parts:
        fo.write(p)
        n += len(p)
    return n


def pack(header: Header, segments: list[bytes]) -> bytes:
    """Container bytes in memory (thin wrapper over write_container)."""
    buf = io.BytesIO()
    write_container(buf, header, segments)
    return buf.getvalue()


def unpack(data: bytes) -> tuple[Header, list[bytes]]:
    """Inverse of pack; only DecodeError subclasses escape."""
    return read_container(data)
