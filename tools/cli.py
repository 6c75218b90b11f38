"""`dsae-codec`: the command-line entry point (a click group). Each command lives in its own module and
only parses flags and calls codec/ or dsae/.

Exit codes (documented in README): 0 ok, 1 usage or input error, 2 click usage error, 3 corrupt or
unsupported bitstream (bitstream.DecodeError), 4 output exists (use --force) or cannot be written,
5 model or weights problem, 6 device unavailable, 130 interrupted.
"""
from __future__ import annotations

import functools
import sys

import click

from bitstream import DecodeError

EXIT_INPUT, EXIT_DECODE, EXIT_OUTPUT, EXIT_MODEL, EXIT_DEVICE = 1, 3, 4, 5, 6


class CliError(Exception):
    """An error reported as one line on stderr with a given exit code."""

    def __init__(self, message: str, code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.code = code


def _classify(e: BaseException) -> tuple[str, int]:
    from codec.errors import classify  # late import keeps `--help` fast
    return classify(e)


def handle_errors(fn):
    """Turns every exception into one line on stderr and a documented exit code."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # e.g. `dsae-codec info x.bin | head`: stop quietly, like other CLI tools
            import os
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        except CliError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(e.code)
        except DecodeError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(EXIT_DECODE)
        except Exception as e:  # noqa: BLE001 - the CLI never shows a traceback
            msg, code = _classify(e)
            click.echo(f"error: {msg}", err=True)
            sys.exit(code)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dsae-codec", prog_name="dsae-codec")
def main() -> None:
    """Neural video and audio codec built on the Disentangled Sequential Autoencoder (Li & Mandt, 2018)."""


def _register() -> None:
    from . import data_cmd, model_cmds, train_cmd
    for mod in (train_cmd, data_cmd, model_cmds):
        for cmd in mod.COMMANDS:
            main.add_command(cmd)
    try:
        from . import codec_cmds
        for cmd in codec_cmds.COMMANDS:
            main.add_command(cmd)
    except ImportError:  # pragma: no cover - during bootstrap only
        pass


_register()
