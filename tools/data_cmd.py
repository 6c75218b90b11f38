"""`dsae-codec datasets`: build or verify the dataset cache (outside git)."""
from __future__ import annotations

import click

from .cli import CliError, handle_errors


@click.command("datasets")
@click.argument("names", nargs=-1, type=click.Choice(["bouncing-ball", "sprites"]))
@click.option("--verify", is_flag=True, help="Check the cached files against their manifest.")
@click.option("--force", is_flag=True, help="Rebuild even if cached.")
@handle_errors
def datasets_command(names, verify, force):
    """Build (default) or verify the generated datasets; with no NAMES, all of them."""
    from codec import datasets

    for name in names or ("bouncing-ball", "sprites"):
        if verify:
            ok = datasets.verify(name)
            click.echo(f"{name}: {'ok' if ok else 'MISSING OR CORRUPT'}")
            if not ok:
                raise CliError(f"dataset {name} failed verification; rebuild with `dsae-codec datasets {name} --force`")
        else:
            datasets.build(name, force=force)
            click.echo(f"{name}: built in {datasets.cache_dir()}")


COMMANDS = [datasets_command]
