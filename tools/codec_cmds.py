"""`dsae-codec encode | decode | info | swap | generate | demo`: thin wrappers over codec/."""
from __future__ import annotations

import json
import sys

import click
from tqdm import tqdm

from .cli import CliError, handle_errors

DEVICE = click.option("--device", default="cpu", show_default=True, help="cpu or cuda.")
FORCE = click.option("--force", is_flag=True, help="Overwrite an existing output.")
QUIET = click.option("--quiet", is_flag=True, help="No progress bar.")
JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")


def _bar(total: int, quiet: bool, desc: str):
    return tqdm(total=total, file=sys.stderr, disable=quiet, desc=desc, unit="seq", leave=False, delay=1.0)


@click.command("encode")
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output .bin file.")
@click.option("--model", default=None, help="Model name or .safetensors path (default: dsae-sprites).")
@click.option("--quality", type=int, default=None, help="Quality index, 0 = smallest (default: best).")
@click.option("--fit", is_flag=True, help="Resize frames to the model size instead of tiling (thumbnail codec).")
@DEVICE
@FORCE
@JSON
@QUIET
@handle_errors
def encode_command(input, output, model, quality, fit, device, force, as_json, quiet):
    """Encode a video file into a .bin bitstream."""
    from codec.api import encode_to_file
    from codec.media import probe_kind
    from codec.models import DEFAULT_MODEL

    if probe_kind(input) == "audio":
        raise CliError(f"{input} is audio-only; this release codes video (the speech codec is not available yet)")
    with _bar(None, quiet, "encode") as bar:
        info = encode_to_file(input, output, model=model or DEFAULT_MODEL, quality=quality, device=device,
                              fit=fit, force=force, progress=bar.update)
    if as_json:
        click.echo(json.dumps(info))
    elif not quiet:
        click.echo(f"{output}: {info['bytes']} bytes, {info['frames']} frames {info['width']}x{info['height']}, "
                   f"{info['bpp']:.4f} bpp, model {info['model']} quality {info['quality']}")


@click.command("decode")
@click.argument("input", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output video (.mp4/.mov lossless "
              "RGB H.264, .mkv/.avi FFV1).")
@click.option("--frames", "frames_dir", type=click.Path(file_okay=False), help="Also/instead write PNG frames.")
@DEVICE
@FORCE
@JSON
@QUIET
@handle_errors
def decode_command(input, output, frames_dir, device, force, as_json, quiet):
    """Decode a .bin bitstream to a video file or PNG frames."""
    from codec.api import decode_from_file

    if not output and not frames_dir:
        raise CliError("give -o OUTPUT and/or --frames DIR")
    with _bar(None, quiet, "decode") as bar:
        info = decode_from_file(input, output, device=device, frames_dir=frames_dir, force=force,
                                progress=bar.update)
    if as_json:
        click.echo(json.dumps(info))
    elif not quiet:
        click.echo(f"{output or frames_dir}: {info['frames']} frames {info['width']}x{info['height']} "
                   f"at {info['fps']} fps")


@click.command("info")
@click.argument("file", type=click.Path(dir_okay=False))
@JSON
@handle_errors
def info_command(file, as_json):
    """Show a bitstream's header and per-segment sizes."""
    from dataclasses import asdict
    from pathlib import Path

    from bitstream import read_header_and_sizes

    data = Path(file).read_bytes()
    header, sizes = read_header_and_sizes(data)
    n_tiles = header.tiles_x * header.tiles_y
    per_frame = 8 * sum(sizes) / max(header.n_frames, 1)
    out = {"file": file, "bytes": len(data), "header": asdict(header), "segment_bytes": sizes,
           "payload_bytes": sum(sizes), "bits_per_frame": 8 * len(data) / header.n_frames,
           "payload_bits_per_frame": per_frame,
           "bpp": 8 * len(data) / (header.n_frames * max(header.width, 1) * max(header.height, 1))}
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    h = header
    click.echo(f"{file}: {len(data)} bytes, format {h.media}, model {h.model} (weights {h.weights_sha256})")
    click.echo(f"  {h.width}x{h.height}, {h.n_frames} frames at {h.fps_num}/{h.fps_den} fps, "
               f"tiles {h.tiles_x}x{h.tiles_y} of {h.tile_width}x{h.tile_height}{' (fit)' if h.fit else ''}")
    click.echo(f"  segment length {h.segment_len}, quality {h.quality}, coder {h.coder}, {h.n_segments} segments")
    click.echo(f"  {out['bits_per_frame']:.1f} bits/frame ({per_frame:.1f} in segments), {out['bpp']:.4f} bpp")
    for i, s in enumerate(sizes[:64]):
        seg, tile = divmod(i, n_tiles)
        click.echo(f"  segment {i:5d} (time {seg}, tile {tile}): {s} bytes")
    if len(sizes) > 64:
        click.echo(f"  ... {len(sizes) - 64} more")


@click.command("swap")
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--model", default=None)
@click.option("--quality", type=int, default=None)
@DEVICE
@FORCE
@handle_errors
def swap_command(a, b, output, model, quality, device, force):
    """Content (f) of A with the dynamics (z_1:T) of B (DSAE feature swapping)."""
    from pathlib import Path

    from codec.api import _check_output, resolve_device
    from codec.media import read_video, write_video
    from codec.models import DEFAULT_MODEL, get_model
    from codec.synth import swap
    from codec.weights import atomic_write

    dst = _check_output(output, force)
    device = resolve_device(device)
    m = get_model(model or DEFAULT_MODEL, device=device)
    va, vb = read_video(a), read_video(b)
    frames = swap(m, va.frames, vb.frames, quality, device)
    atomic_write(dst, lambda tmp: write_video(tmp, frames, vb.fps, ext=Path(output).suffix))
    click.echo(f"{output}: content of {a}, dynamics of {b}, {len(frames)} frames")


@click.command("generate")
@click.option("--model", default=None)
@click.option("--fix", type=click.Choice(["f", "z"]), default=None, help="Share f (content) or z (motion).")
@click.option("--n", "n", default=6, show_default=True, help="Number of sequences.")
@click.option("--T", "T", type=int, default=None, help="Frames per sequence (default: the model's T).")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="grid.png or out.mp4")
@DEVICE
@FORCE
@handle_errors
def generate_command(model, fix, n, T, seed, output, device, force):
    """Sample sequences from the priors p(f) and p(z_t | z_<t) (a PNG grid or a video)."""
    from fractions import Fraction
    from pathlib import Path

    import numpy as np

    from codec.api import _check_output, resolve_device
    from codec.media import write_video
    from codec.models import DEFAULT_MODEL, get_model
    from codec.synth import generate, grid
    from codec.weights import atomic_write

    if not 1 <= n <= 256:
        raise CliError("--n must be 1..256")
    dst = _check_output(output, force)
    device = resolve_device(device)
    m = get_model(model or DEFAULT_MODEL, device=device)
    seqs = generate(m, n, T, fix, seed, device)
    ext = Path(output).suffix.lower()
    if ext == ".png":
        import av
        img = grid(seqs)
        atomic_write(dst, lambda tmp: av.VideoFrame.from_ndarray(img, format="rgb24").to_image().save(tmp, "PNG"))
    else:
        frames = np.concatenate(list(seqs))
        atomic_write(dst, lambda tmp: write_video(tmp, frames, Fraction(8), ext=ext))
    click.echo(f"{output}: {n} sequences of {seqs.shape[1]} frames" + (f", shared {fix}" if fix else ""))


@click.command("demo")
@click.option("--out", "out_dir", default="dsae-demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--model", default=None)
@click.option("--quality", type=int, default=None)
@DEVICE
@JSON
@handle_errors
def demo_command(out_dir, model, quality, device, as_json):
    """Encode and decode a generated sprites clip with the default model; compare with x264."""
    from codec.demo import run_demo
    from codec.models import DEFAULT_MODEL

    res = run_demo(out_dir, model or DEFAULT_MODEL, quality, device)
    if as_json:
        click.echo(json.dumps(res, indent=2))
        return
    c = res["clip"]
    click.echo(f"clip: {c['frames']} frames {c['width']}x{c['height']} (generated sprites, unseen character), "
               f"files in {out_dir}/")
    click.echo(f"{'codec':<34} {'bytes':>7} {'bpp':>8} {'PSNR dB':>8} {'MS-SSIM':>8}")
    for r in res["results"]:
        click.echo(f"{r['codec']:<34} {r['bytes']:>7} {r['bpp']:>8.4f} {r['psnr']:>8.2f} {r['msssim']:>8.4f}")
    ours = res["results"][0]
    click.echo(f"dsae encode {ours['encode_fps']:.0f} frames/s, decode {ours['decode_fps']:.0f} frames/s on {device}")


COMMANDS = [encode_command, decode_command, info_command, swap_command, generate_command, demo_command]
