"""`dsae-codec models`: list the shipped models."""
from __future__ import annotations

import json

import click

from .cli import handle_errors


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@handle_errors
def models_command(as_json):
    """List shipped models: domain, frame size, T, quality points, sha256."""
    from codec.models import DEFAULT_MODEL, available, describe

    rows = [describe(n) for n in sorted(available())]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        star = "*" if r["name"] == DEFAULT_MODEL else " "
        click.echo(f"{star} {r['name']:<24} {r['kind']:<7} {r['domain']:<14} {r['frame']:<9} T={r['T']:<3} "
                   f"q=0..{r['qualities'] - 1}  sha256 {r['sha256'][:16]}  {r['bytes'] / 1e6:.1f} MB")
    if not rows:
        click.echo("no models installed")


COMMANDS = [models_command]
