"""bitstream/ stays torch-free: stdlib, numpy and constriction only (checked with ast)."""
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "bitstream"
ALLOWED = set(sys.stdlib_module_names) | {"numpy", "constriction"}


def test_bitstream_imports_only_stdlib_numpy_constriction():
    bad = []
    for path in sorted(ROOT.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            bad += [f"{path.name}: {n}" for n in names if n.split(".")[0] not in ALLOWED]
    assert not bad, bad
