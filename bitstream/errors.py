"""Typed decode errors. Every failure to read a .dsae file is a ``DecodeError`` subclass.

Readers (``read_container``, ``unpack``, ``SegmentDecoder``) let nothing else escape for any
input bytes, so callers can catch one class. The CLI maps ``DecodeError`` to exit code 3.
Messages are one human-readable line.
"""
from __future__ import annotations

__all__ = ["DecodeError", "BadMagicError", "UnsupportedVersionError", "TruncatedError",
           "ChecksumError", "LimitError", "HeaderError", "DesyncError"]


class DecodeError(Exception):
    """The input is not a valid dsae-codec bitstream."""

    exit_code = 3


class BadMagicError(DecodeError):
    """The file does not start with b"DSAE"."""


class UnsupportedVersionError(DecodeError):
    """The file's major format version is not one this decoder reads."""


class TruncatedError(DecodeError):
    """The data ends before a declared field, header or segment does."""


class ChecksumError(DecodeError):
    """The CRC32 stored after the header or a segment does not match its bytes."""


class LimitError(DecodeError):
    """A declared size or count exceeds a documented cap (refused before allocating)."""


class HeaderError(DecodeError):
    """The header is malformed or inconsistent, or bytes follow the last segment."""


class DesyncError(DecodeError):
    """Entropy decoding went wrong: the symbol CRC differs, or words are left over."""

    def __init__(self, message: str, segment: int | None = None):
        super().__init__(f"segment {'?' if segment is None else segment}: {message}")
        self.segment = segment
