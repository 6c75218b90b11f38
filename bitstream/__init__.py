"""Container format and entropy-coding glue for dsae-codec (numpy + constriction + stdlib only).

This package turns integer symbols into bytes and back; it knows nothing of models or media.
The library API that encodes and decodes media lives in ``codec/``. Every byte is documented in
``bitstream/FORMAT.md``.
"""
from .container import (MAGIC, VERSION_MAJOR, VERSION_MINOR, Header, pack, read_container,
                        read_header_and_sizes, unpack, write_container)
from .entropy import CODER_NAME, ESCAPE, GAUSS_RANGE, SegmentDecoder, SegmentEncoder
from .errors import (BadMagicError, ChecksumError, DecodeError, DesyncError, HeaderError,
                     LimitError, TruncatedError, UnsupportedVersionError)
from .tables import (N_SCALES, SCALE_TABLE, IntCdfTables, make_cdf_table, snap_scale_index)

__all__ = [
    "MAGIC", "VERSION_MAJOR", "VERSION_MINOR", "Header", "pack", "unpack", "read_container",
    "read_header_and_sizes", "write_container",
    "CODER_NAME", "ESCAPE", "GAUSS_RANGE", "SegmentEncoder", "SegmentDecoder",
    "DecodeError", "BadMagicError", "UnsupportedVersionError", "TruncatedError", "ChecksumError",
    "LimitError", "HeaderError", "DesyncError",
    "N_SCALES", "SCALE_TABLE", "IntCdfTables", "make_cdf_table", "snap_scale_index",
]
