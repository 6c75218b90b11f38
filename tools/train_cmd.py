"""`dsae-codec train`: train a DSAE or an LSTM baseline on a built-in dataset or a folder of videos."""
from __future__ import annotations

import sys

import click
from tqdm import tqdm

from .cli import CliError, handle_errors


@click.command("train")
@click.option("--dataset", type=click.Choice(["bouncing-ball", "sprites"]), help="Built-in dataset.")
@click.option("--data", "data_dir", type=click.Path(exists=True, file_okay=False), help="Folder of your own videos.")
@click.option("--model", "kind", type=click.Choice(["dsae", "lstm-f", "lstm-c"]), default="dsae", show_default=True)
@click.option("--q", type=click.Choice(["factorised", "full"]), default="factorised", show_default=True)
@click.option("--objective", type=click.Choice(["rd", "elbo"]), default="rd", show_default=True,
              help="rd: codec rate-distortion; elbo: the paper's ELBO (generation experiments).")
@click.option("--name", help="Model name written into bitstreams (default: KIND-DATASET).")
@click.option("--steps", default=3000, show_default=True, help="Length of the learning-rate schedule.")
@click.option("--stop-at", type=int, default=None, help="Stop (and ship) at this step of the schedule.")
@click.option("--batch", default=16, show_default=True)
@click.option("--lr", default=1e-3, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--device", default="cpu", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Run folder (checkpoints, log).")
@click.option("--ship", type=click.Path(dir_okay=False), help="Write final fp16 weights here (.safetensors).")
@click.option("--msssim", is_flag=True, help="Distortion 1 - MS-SSIM instead of MSE.")
@click.option("--quiet", is_flag=True)
@handle_errors
def train_command(dataset, data_dir, kind, q, objective, name, steps, stop_at, batch, lr, seed, device, out_dir,
                  ship, msssim, quiet):
    """Train (resumable: rerun the same command to continue from the last checkpoint)."""
    import torch

    from codec.training import preset_config, run_training
    from dsae.config import TrainConfig

    if bool(dataset) == bool(data_dir):
        raise CliError("give exactly one of --dataset or --data")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise CliError("--device cuda requested but CUDA is not available", 6)
    cfg = preset_config(dataset or "sprites", kind, q, name)
    if data_dir:
        from pathlib import Path
        cfg.domain = f"videos:{Path(data_dir).resolve().name}"
        if name is None:
            cfg.name = f"{kind}-custom"
    tcfg = TrainConfig(steps=steps, stop_at=stop_at, batch=batch, lr=lr, seed=seed, objective=objective,
                       msssim=msssim, lr_final=lr / 5)
    out_dir = out_dir or f"runs/{cfg.name}"
    bar = tqdm(total=min(stop_at or steps, steps), file=sys.stderr, disable=quiet, desc=cfg.name)

    def progress(done):
        bar.n = done
        bar.refresh()

    log = (lambda s: None) if quiet else (lambda s: tqdm.write(s, file=sys.stderr))
    result = run_training(cfg, tcfg, out_dir, dataset=dataset, data_dir=data_dir, device=device, ship_to=ship,
                          log=log, progress=progress)
    bar.close()
    for row in result.get("eval", []):
        click.echo(f"quality {row['quality']}: {row['bits_per_seq']:.0f} bits/seq, PSNR {row['psnr']:.2f} dB")


COMMANDS = [train_command]
