"""Registry of shipped models: stable names -> weight files in codec/weights/ (or $DSAE_MODELS)."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from .errors import ModelError
from .weights import LoadedModel, load_weights

DEFAULT_MODEL = "dsae-sprites"   # the embedded default model (demo, encode)
_HERE = Path(__file__).parent / "weights"


def search_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("DSAE_MODELS", "").split(os.pathsep) if p]
    return extra + [_HERE]


def available() -> dict[str, Path]:
    """model name (from the JSON sidecar's config) -> weights path; $DSAE_MODELS entries win."""
    found: dict[str, Path] = {}
    for d in reversed(search_dirs()):
        if d.is_dir():
            for p in sorted(d.glob("*.safetensors")):
                side = p.with_suffix(".json")
                try:
                    name = json.loads(side.read_text())["config"]["name"]
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                found[name] = p
    return found


def describe(name: str) -> dict:
    path = available()[name]
    side = json.loads(path.with_suffix(".json").read_text())
    cfg = side["config"]
    tr = side.get("training", {})
    return {"name": name, "kind": cfg["kind"], "q": cfg["q"], "domain": cfg["domain"],
            "frame": f"{cfg['width']}x{cfg['height']}x{cfg['channels']}", "T": cfg["T"],
            "qualities": cfg["n_quality"], "sha256": side["sha256"], "bytes": path.stat().st_size,
            "eval": tr.get("eval", []), "steps": tr.get("steps"), "train_seconds": tr.get("train_seconds")}


@lru_cache(maxsize=8)
def _load(path: str, sha: str | None) -> LoadedModel:
    return load_weights(path, expect_sha256=sha)


def get_model(name_or_path: str, expect_sha256: str | None = None, device: str = "cpu") -> LoadedModel:
    """A shipped model by name, or a .safetensors path; checks the sha256 prefix if given."""
    p = Path(name_or_path)
    if p.suffix == ".safetensors" and p.is_file():
        path = p
    else:
        models = available()
        if name_or_path not in models:
            known = ", ".join(sorted(models)) or "none installed"
            raise ModelError(f"unknown model {name_or_path!r} (known: {known})")
        path = models[name_or_path]
    m = _load(str(path.resolve()), None)
    if expect_sha256 and not m.sha256.startswith(expect_sha256):
        raise ModelError(f"stream needs model {name_or_path} with weights sha256 {expect_sha256}, "
                         f"but the installed weights are {m.sha256[:16]}")
    return m.to(device)
