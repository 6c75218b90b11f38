"""The README's Python examples run as written (in a temporary working directory)."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert len(_blocks()) >= 2


@pytest.mark.parametrize("i", range(len(_blocks())))
def test_readme_example_runs(i, tmp_path, monkeypatch):
    from codec.models import available
    if "dsae-sprites" not in available():
        pytest.skip("default model weights not installed")
    monkeypatch.chdir(tmp_path)
    exec(compile(_blocks()[i], f"README.md[python block {i}]", "exec"), {})
