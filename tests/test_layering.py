"""Imports point one way: tools, benchmarks -> codec -> (dsae, bitstream). Checked with ast."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INTERNAL = {"bitstream", "dsae", "codec", "tools", "benchmarks"}
ALLOWED = {
    "bitstream": set(),
    "dsae": set(),
    "codec": {"dsae", "bitstream"},
    "tools": {"codec", "dsae", "bitstream"},
    "benchmarks": {"codec", "dsae", "bitstream"},
}
FORBIDDEN_THIRD_PARTY = {"bitstream": {"torch", "compressai", "av"}}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for mod in _imports(path):
            if mod in INTERNAL and mod != package and mod not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
            if mod in FORBIDDEN_THIRD_PARTY.get(package, set()):
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_checker_sees_a_violation(tmp_path):
    p = tmp_path / "x.py"
    p.write_text("import torch\nfrom codec import api\n")
    assert set(_imports(p)) == {"torch", "codec"}
