import pytest

from bitstream import pack
from bitstream_samples import encode_sample


@pytest.fixture
def sample_file() -> bytes:
    """A small valid container whose segments are real entropy-coded payloads."""
    return pack(*encode_sample())
