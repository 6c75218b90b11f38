"""Model and training configuration dataclasses (nanoGPT-style: one place, commented defaults).

A checkpoint stores `ModelConfig.to_dict()` as JSON next to its safetensors weights, so a weight file
rebuilds its own model without pickle.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class ModelConfig:
    name: str = "dsae-sprites"          # stable model name written into every bitstream header
    kind: str = "dsae"                  # "dsae" (stochastic LSTM prior), "lstm-f" or "lstm-c" (deterministic baselines)
    q: str = "factorised"               # inference net for z: "factorised" q(z_t|x_t) or "full" q(z_1:T|f, x_1:T)
    domain: str = "sprites"             # what it was trained on (informational)
    channels: int = 3                   # image channels (3 RGB, 1 grey)
    height: int = 64                    # frame (tile) height
    width: int = 64                     # frame (tile) width
    T: int = 8                          # segment length in frames
    conv: tuple[int, ...] = (32, 64, 64, 128)  # conv widths; each layer halves H and W (k=4, s=2)
    feat_dim: int = 256                 # per-frame feature size after the conv stack
    f_dim: int = 64                     # static latent f
    z_dim: int = 16                     # dynamic latent z_t (global z for the baselines)
    hidden: int = 128                   # LSTM units (q_f bi-LSTM, prior, full q, baselines)
    n_quality: int = 5                  # quality ladder size: index 0 = lowest rate, n_quality-1 = best
    lambdas: tuple[float, ...] = (60.0, 150.0, 400.0, 1000.0, 2500.0)  # distortion weight per quality (bpp + lambda*MSE)
    step_init: tuple[float, ...] = (4.0, 2.8, 2.0, 1.4, 1.0)  # initial quantisation step per quality (learned per channel)

    def __post_init__(self) -> None:
        self.conv = tuple(int(c) for c in self.conv)
        self.lambdas = tuple(float(v) for v in self.lambdas)
        self.step_init = tuple(float(v) for v in self.step_init)
        if self.kind not in ("dsae", "lstm-f", "lstm-c"):
            raise ValueError(f"unknown model kind {self.kind!r}")
        if self.q not in ("factorised", "full"):
            raise ValueError(f"unknown inference variant {self.q!r}")
        if len(self.lambdas) != self.n_quality or len(self.step_init) != self.n_quality:
            raise ValueError("lambdas and step_init need one entry per quality point")
        down = 2 ** len(self.conv)
        if self.height % down or self.width % down:
            raise ValueError(f"frame size {self.height}x{self.width} must be divisible by {down}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


@dataclass
class TrainConfig:
    steps: int = 2000                   # optimisation steps (sets the learning-rate schedule)
    stop_at: int | None = None          # stop early at this step (same schedule), e.g. to ship a snapshot
    batch: int = 16                     # sequences per step (per process under DDP)
    lr: float = 1e-3                    # Adam learning rate (aux quantile loss uses the same)
    lr_final: float = 2e-4              # cosine-decayed to this
    objective: str = "rd"               # "rd": rate + lambda*MSE (codec); "elbo": the paper's ELBO (generation)
    rate_warmup: int = 500              # rate weight ramps 0 -> 1 over these steps (avoids collapse, FACTS.md)
    eval_every: int = 250               # steps between evaluations on the test split
    ckpt_every: int = 100               # steps between resumable checkpoints
    seed: int = 0
    msssim: bool = False                # use 1 - MS-SSIM instead of MSE as distortion (needs >= 160 px frames for 5 scales)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)
