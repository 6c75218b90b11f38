"""The codec layer: the only place where the model (dsae/) meets the bitstream (bitstream/).

Library API (see api.py):
    encode_to_file(src, dst, model=..., quality=..., device=...)   video file -> .bin
    decode_from_file(src, dst)                                      .bin -> lossless video / PNG frames
    encode_frames(frames, fps, ...) -> bytes                        uint8 (N, H, W, 3) in memory
    decode_bytes(data) -> Video                                     bytes -> frames + fps
"""
import dsae  # noqa: F401  (silences compressai's import-time deprecation warnings first)

from .api import decode_bytes, decode_from_file, encode_frames, encode_to_file  # noqa: F401
