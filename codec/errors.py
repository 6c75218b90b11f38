"""Errors of the codec layer and their mapping to one-line messages and CLI exit codes."""
from __future__ import annotations


class CodecError(Exception):
    """Bad input media or an impossible request (exit code 1)."""
    exit_code = 1


class MediaError(CodecError):
    """The input cannot be read as the expected kind of media."""


class OutputError(CodecError):
    """The output exists (without --force) or cannot be written (exit code 4)."""
    exit_code = 4


class ModelError(CodecError):
    """Unknown model, or weights that do not match a stream (exit code 5)."""
    exit_code = 5


class DeviceError(CodecError):
    """The requested device is not available (exit code 6)."""
    exit_code = 6


def classify(e: BaseException) -> tuple[str, int]:
    """One line and an exit code for any exception reaching the CLI."""
    from bitstream import DecodeError

    from .weights import WeightsError

    if isinstance(e, DecodeError):
        return str(e), 3
    if isinstance(e, CodecError):
        return str(e), e.exit_code
    if isinstance(e, WeightsError):
        return str(e), 5
    if isinstance(e, FileNotFoundError):
        return f"file not found: {e.filename}", 1
    if isinstance(e, PermissionError):
        return f"permission denied: {e.filename}", 4
    if isinstance(e, IsADirectoryError):
        return f"is a directory: {e.filename}", 1
    if isinstance(e, MemoryError):
        return "out of memory", 1
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {first}"[:300], 1
