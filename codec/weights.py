"""Weight files: shipped models (fp16 safetensors + JSON sidecar + sha256) and resumable training checkpoints.

A shipped file holds the model's weights in fp16 plus its frozen coding state, made by `export_coding_state`:
the per-quality steps (float32) and the integer categorical CDFs of p(f) (and of the baselines' global z),
quantised once by bitstream's `make_cdf_table`. Encoder and decoder read these integers; neither recomputes
them. The safetensors metadata carries the model config as JSON, so a file rebuilds its model alone.
No pickle anywhere.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from bitstream import SCALE_TABLE, IntCdfTables, make_cdf_table
from dsae.baselines import build_model
from dsae.coding import CodingTables
from dsae.config import ModelConfig
from dsae.model import DSAE, SequenceModel

from .atomic import atomic_write  # also the public home of atomic_write for tools/

FORMAT = "dsae-weights-1"
_SKIP = ("_quantized_cdf", "_offset", "_cdf_length")  # compressai's own (unused) coding buffers


class WeightsError(ValueError):
    """A weight file is missing, corrupt or inconsistent."""


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fo:
        for chunk in iter(lambda: fo.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_state(model: SequenceModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()
            if not any(s in k for s in _SKIP)}


def load_state(model: SequenceModel, state: dict[str, torch.Tensor]) -> None:
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not any(s in k for s in _SKIP)]
    if missing or unexpected:
        raise WeightsError(f"weights do not fit the config (missing {missing[:3]}, unexpected {unexpected[:3]})")


@torch.no_grad()
def export_coding_state(model: SequenceModel) -> dict[str, torch.Tensor]:
    """The explicit export step: float32 steps and integer CDF tables, from the model as it will ship."""
    model = model.cpu().eval()
    Q = model.cfg.n_quality
    steps_f = model.log_step_f.float().exp()  # (Q, f_dim)
    steps_z = model.log_step_z.float().exp()  # (Q, z_dim)
    pmfs, offsets, lengths = model.p_f.export_pmfs(steps_f)
    parts = [(pmfs, offsets, lengths)]
    if not isinstance(model, DSAE):
        parts.append(model.p_z.export_pmfs(steps_z))
    L = max(p[0].shape[1] for p in parts)
    pmf = torch.cat([torch.nn.functional.pad(p[0], (0, L - p[0].shape[1])) for p in parts]).numpy()
    tables = make_cdf_table(pmf, torch.cat([p[1] for p in parts]).numpy(),
                            torch.cat([p[2] for p in parts]).numpy(), precision=16)
    out = {f"coding.tables.{k}": torch.from_numpy(np.asarray(v, np.int32)) for k, v in tables.to_arrays().items()}
    out["coding.steps_f"], out["coding.steps_z"] = steps_f.contiguous(), steps_z.contiguous()
    assert Q == steps_f.shape[0]
    return out


def save_weights(model: SequenceModel, path: str | Path, info: dict | None = None) -> str:
    """Writes `path` (.safetensors, fp16 weights + coding state) and `path.json`; returns the sha256."""
    path = Path(path)
    state = {k: v.half() if v.is_floating_point() else v for k, v in model_state(model).items()}
    shipped = build_model(model.cfg)  # the coding state is exported from the fp16-rounded weights
    load_state(shipped, {k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    state.update(export_coding_state(shipped))
    meta = {"format": FORMAT, "config": json.dumps(model.cfg.to_dict(), sort_keys=True)}
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata=meta))
    digest = sha256_file(path)
    side = {"format": FORMAT, "file": path.name, "sha256": digest, "config": model.cfg.to_dict(), **(info or {})}
    atomic_write(path.with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(side, indent=2) + "\n"))
    return digest


class LoadedModel:
    """A model rebuilt from a weight file, with its frozen coding state and identity."""

    def __init__(self, model: SequenceModel, coding: CodingTables, cdf: IntCdfTables, sha256: str,
                 path: Path) -> None:
        self.model, self.coding, self.cdf, self.sha256, self.path = model, coding, cdf, sha256, path
        self.cfg: ModelConfig = model.cfg

    def to(self, device) -> "LoadedModel":
        self.model.to(device)
        return self


def load_weights(path: str | Path, expect_sha256: str | None = None) -> LoadedModel:
    """Rebuilds a shipped model; checks the sha256 against the sidecar (or `expect_sha256`)."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weight file not found: {path}")
    digest = sha256_file(path)
    side = path.with_suffix(".json")
    want = expect_sha256
    if want is None and side.is_file():
        want = json.loads(side.read_text()).get("sha256")
    if want and not digest.startswith(want):
        raise WeightsError(f"weights {path.name} have sha256 {digest[:16]}, expected {want[:16]}")
    try:
        with safe_open(str(path), framework="pt") as fo:
            meta = fo.metadata() or {}
            tensors = {k: fo.get_tensor(k) for k in fo.keys()}
    except Exception as e:  # safetensors raises its own error types for corrupt files
        raise WeightsError(f"cannot read weights {path.name}: {e}") from None
    if meta.get("format") != FORMAT:
        raise WeightsError(f"{path.name} is not a {FORMAT} file")
    cfg = ModelConfig.from_dict(json.loads(meta["config"]))
    model = build_model(cfg)
    load_state(model, {k: v.float() if v.is_floating_point() else v
                       for k, v in tensors.items() if not k.startswith("coding.")})
    for k, v in tensors.items():
        if v.is_floating_point() and not torch.isfinite(v.float()).all():
            raise WeightsError(f"weights {path.name} contain NaN or inf in {k}")
    cdf = IntCdfTables.from_arrays({k[len("coding.tables."):]: tensors[k].numpy()
                                    for k in tensors if k.startswith("coding.tables.")})
    n_f = cfg.n_quality * cfg.f_dim
    coding = CodingTables(tensors["coding.steps_f"].float(), tensors["coding.steps_z"].float(),
                          np.asarray(SCALE_TABLE), z_table_base=n_f)
    return LoadedModel(model.eval(), coding, cdf, digest, path)


# ---- resumable training checkpoints (fp32 + Adam state) ----

def save_checkpoint(path: str | Path, model: SequenceModel, opt: torch.optim.Optimizer, step: int,
                    extra: dict) -> None:
    state = {f"model.{k}": v for k, v in model_state(model).items()}
    osd = opt.state_dict()
    for pid, st in osd["state"].items():
        for k, v in st.items():
            state[f"opt.{pid}.{k}"] = v.detach().cpu().contiguous() if torch.is_tensor(v) else torch.tensor(v)
    meta = {"format": "dsae-checkpoint-1", "step": str(step), "config": json.dumps(model.cfg.to_dict()),
            "extra": json.dumps(extra)}
    atomic_write(path, lambda tmp: save_file(state, tmp, metadata=meta))


def load_checkpoint(path: str | Path) -> tuple[SequenceModel, torch.optim.Optimizer, int, dict]:
    with safe_open(str(path), framework="pt") as fo:
        meta = fo.metadata()
        tensors = {k: fo.get_tensor(k) for k in fo.keys()}
    cfg = ModelConfig.from_dict(json.loads(meta["config"]))
    model = build_model(cfg)
    load_state(model, {k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    opt = torch.optim.Adam(model.parameters())
    osd = opt.state_dict()
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, pid, name = k.split(".", 2)
            osd["state"].setdefault(int(pid), {})[name] = v
    opt.load_state_dict(osd)
    return model, opt, int(meta["step"]), json.loads(meta["extra"])
