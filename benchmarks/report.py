"""Targets, plots and the markdown summary of the RD benchmark (reads the dicts that benchmarks.rd writes)."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MODEL_FAMILIES = ("dsae", "lstm-f", "lstm-c")
ORDER = ("sprites", "bouncing-ball", "carphone")


def _main_model(res: dict) -> str | None:
    cs = res["contenders"]
    domain = "sprites" if res["dataset"] == "carphone" else res["dataset"]
    if f"dsae-{domain}" in cs:
        return f"dsae-{domain}"
    return next((n for n, c in cs.items() if c["family"] == "dsae"), None)


def _bd(res: dict, test: str, anchor: str, metric: str = "psnr", rate: str = "bpp") -> dict | None:
    return next((r for r in res["bd"] if r["test"] == test and r["anchor"] == anchor
                 and r["metric"] == metric and r["rate"] == rate), None)


def _fmt_bd(r: dict | None, unit: str = "dB") -> str:
    if r is None:
        return "not run"
    if r["bd_rate"] is None:
        return r.get("note") or "n/a"
    lo, hi = r["overlap"]
    prec = 1 if unit == "dB" else 4
    return f"{r['bd_rate']:+.1f}% over {lo:.{prec}f}–{hi:.{prec}f} {unit}" + (f" ({r['note']})" if r["note"] else "")


def _target(tid, res, text, threshold, measured, met, detail) -> dict:
    return {"id": tid, "dataset": res["dataset"], "target": text, "threshold": threshold,
            "measured": measured, "met": met, "detail": detail}


def _vs_best(res: dict, main: str, family: str, tid: str, text: str, thr: float) -> dict:
    anchors = [n for n, c in res["contenders"].items() if c["family"] == family]
    rows = {a: _bd(res, main, a) for a in anchors}
    got = {a: r for a, r in rows.items() if r and r["bd_rate"] is not None}
    if not got:
        why = "; ".join(f"{a}: {_fmt_bd(r)}" for a, r in rows.items()) or f"no {family} contender"
        return _target(tid, res, text, thr, None, None, why)
    worst = max(got, key=lambda a: got[a]["bd_rate"])  # the anchor hardest to beat
    files = _bd(res, main + " (per-file .bin)", worst)
    detail = f"strongest anchor {worst}: {_fmt_bd(got[worst])}; all: " + "; ".join(
        f"{a} {_fmt_bd(r)}" for a, r in rows.items())
    if files:
        detail += f"; with each sequence its own .bin (header per sequence): {_fmt_bd(files)}"
    return _target(tid, res, text, thr, got[worst]["bd_rate"], got[worst]["bd_rate"] <= thr, detail)


def _estimate_rows(c: dict, n: int) -> list[dict]:
    rows = []
    for p in c["points"]:
        x, est = p["extra"], p["bits_estimate"]
        if not est or x.get("stream_bytes") is None:
            continue
        row = {"point": p["point"], "estimate_bits_per_seq": est / n,
               "payload_over_est": 8 * x["payload_bytes"] / est,
               "ans_words_over_est": 8 * (x["payload_bytes"] - 4 * x["n_segments"]) / est,
               "stream_minus_header_over_est": 8 * (x["payload_bytes"] + x["framing_bytes"]) / est,
               "stream_over_est": 8 * x["stream_bytes"] / est, "header_bytes": x["header_bytes"]}
        if x.get("per_file_n") == n:
            row["file_over_est"] = 8 * x["file_bytes"] / est
        rows.append(row)
    return rows


def targets(res: dict) -> list[dict]:
    """The issue's targets that this dataset decides, each marked met / missed / None (not decidable)."""
    ds, main, cs, out = res["dataset"], _main_model(res), res["contenders"], []
    if main is None:
        return [_target("dsae-present", res, "a DSAE model is installed", None, None, None, "no DSAE model")]
    if ds in ("bouncing-ball", "sprites"):
        thr = -90.0 if ds == "bouncing-ball" else -80.0
        out.append(_vs_best(res, main, "classical", f"{ds}-vs-classical",
                            f"BD-rate (PSNR) of {main} vs the best classical codec <= {thr:.0f}%", thr))
        rows = _estimate_rows(cs[main], res["n_sequences"])
        worst = max((r["stream_minus_header_over_est"] for r in rows), default=None)
        detail = "; ".join(f"q{r['point']}: est {r['estimate_bits_per_seq']:.0f} b/seq, payload "
                           f"{r['payload_over_est']:.3f}, ANS words {r['ans_words_over_est']:.3f}, "
                           f"stream-header {r['stream_minus_header_over_est']:.3f}, "
                           f"stream {r['stream_over_est']:.3f}" + (f", per-file .bin {r['file_over_est']:.3f}"
                                                                  if "file_over_est" in r else "") for r in rows)
        out.append(_target(f"{ds}-bytes-vs-estimate", res, f"{main}: (real bytes - file header) / estimate "
                           "<= 1.005", 1.005, worst, None if worst is None else worst <= 1.005, detail))
    if ds == "sprites":
        out.append(_vs_best(res, main, "frame-neural", "sprites-vs-frame-codec",
                            f"BD-rate (PSNR) of {main} vs the frame-by-frame neural codec <= -30%", -30.0))
        enc = min(p["encode_fps"] for p in cs[main]["points"])
        dec = min(p["decode_fps"] for p in cs[main]["points"])
        fe = [p.get("file_encode_fps") for p in cs[main]["points"] if "file_encode_fps" in p]
        fd = [p.get("file_decode_fps") for p in cs[main]["points"] if "file_decode_fps" in p]
        detail = f"stream (batched) encode {enc:.0f} fps, decode {dec:.0f} fps, slowest quality point"
        if fe:
            detail += f"; one .bin per 8-frame sequence: encode {min(fe):.0f} fps, decode {min(fd):.0f} fps"
        out.append(_target("sprites-cpu-speed", res, f"{main} CPU encode and decode >= 300 frames/s at 64x64",
                           300, min(enc, dec), min(enc, dec) >= 300 and cs[main].get("device") == "cpu", detail))
    if ds == "bouncing-ball":
        for base in ("lstm-f", "lstm-c"):
            name = next((n for n, c in cs.items() if c["family"] == base), None)
            r = _bd(res, main, name) if name else None
            ok = None if not r or r["bd_rate"] is None else r["bd_rate"] < 0
            frac = r and r.get("test_cheaper_frac")
            out.append(_target(f"ball-vs-{base}", res, f"{main} spends fewer bits than {base} at equal PSNR",
                               0.0, r and r["bd_rate"], ok, (_fmt_bd(r) if name else f"no {base} model") +
                               (f"; cheaper over {100 * frac:.0f}% of the overlap" if frac is not None else "")))
    if ds == "carphone":
        rows = [(a, _bd(res, main, a), _bd(res, main, a, "msssim")) for a in ("x265-444p", "x265-420p")]
        r = rows[0][1]
        detail = "; ".join(f"vs {a}: PSNR {_fmt_bd(p)}, MS-SSIM {_fmt_bd(m, '')}" for a, p, m in rows)
        detail += (". A domain model (64x64 sprite tiles, 3x3 tiles over 176x144) on a real camera clip: "
                   "this measures how far outside its domain it is, not what a general codec could do.")
        out.append(_target("carphone-vs-x265", res, f"{main} vs x265 on the real carphone clip (report only)",
                           None, r and r["bd_rate"], None, detail))
    return out


def plot(res: dict, path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    metric_names = ("PSNR (dB)", "SSIM (single-scale)" if min(res["shape"][2:4]) <= 32 else "MS-SSIM")
    for ax, metric, label in zip(axes, ("psnr", "msssim"), metric_names):
        for name, c in res["contenders"].items():
            pts = c["points"]  # in quality order, lowest rate first
            style = {"classical": dict(ls="--", lw=1), "frame-neural": dict(ls="-.", lw=1.5)}.get(
                c["family"], dict(ls="-", lw=2))
            line, = ax.plot([p["bpp"] for p in pts], [p[metric] for p in pts], marker="o", ms=3, label=name,
                            **style)
            if "bpp_file" in pts[0]:
                ax.plot([p["bpp_file"] for p in pts], [p[metric] for p in pts], ls=":", lw=1,
                        color=line.get_color(), label=f"{name} (one .bin per sequence)")
        ax.set_xscale("log")
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=7)
    N, T, H, W, C = res["shape"]
    fig.suptitle(f"{res['dataset']}: {N} sequence(s) of {T}x{H}x{W}x{C}" + (" (quick)" if res.get("quick") else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


READ_ME = """How to read this. **Rates** are real bytes. Our models (DSAE, LSTM-f, LSTM-c): the RD curves use one
real .bin holding all N test sequences back to back (every T-frame segment is an independent sequence with its own
f, a fresh prior and its own ANS stream), so the file header is paid once; the dotted curves and the
"per-file .bin" rows code each sequence as its own .bin (header paid per sequence). The tables below also give the
segment payloads alone and the model's own estimate (eval forward: bits_f + bits_z). Classical codecs: each
sequence is its own stream, counted as packet bytes + extradata (x264 SEI removed, x265 info=0, AV1 temporal
delimiters removed), no container. Frame codec (compressai bmshj2018 hyperprior, every frame alone): its rANS
y + z strings. **Distortion**: mean per-sequence RGB-PSNR; MS-SSIM is the mean per-frame codec.metrics.msssim
(single-scale SSIM for frames of 32 px and below). Grey clips (bouncing ball) are scored on their one channel and
given to classical codecs as the luma plane. x264/x265 run in yuv444p (the fair RGB comparison) and yuv420p;
libsvtav1 accepts yuv420p only. **BD-rates** (`bjontegaard`, Akima) cover only the quality range where both
curves have points, stated in each cell; "no overlap" means no number exists. Speeds are wall-clock frames/s on
the machine named in each section, with whatever else was running (load average given)."""


def _range(vals, fmt):
    return f"{fmt.format(min(vals))}–{fmt.format(max(vals))}"


def _dataset_md(res: dict) -> list[str]:
    N, T, H, W, C = res["shape"]
    mach = res["machine"]
    L = [f"## {res['dataset']}: {N} sequence(s) of {T}×{H}×{W}×{C}", "",
         f"`{res['command']}` — {res['created']}, {res['seconds']:.0f} s. Source: {res['source']}. "
         f"Plot: `rd-{res['dataset']}.png`. Machine: {mach['cpu']}, {mach['cpu_count']} cores, "
         f"{mach['torch_threads']} torch threads, load {mach['loadavg_start'][0]:.1f} at start.", "",
         "| contender | family | settings | bpp | PSNR dB | MS-SSIM | enc fps | dec fps | CUDA enc/dec fps |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, c in res["contenders"].items():
        pts = c["points"]
        sett = c.get("preset") and f"preset {c['preset']}, CRF {_range([p['point'] for p in pts], '{}')}" \
            or f"points {', '.join(str(p['point']) for p in pts)}"
        cu = c.get("cuda")
        cu = f"{cu['encode_fps']:.0f} / {cu['decode_fps']:.0f}" if cu else "–"
        med = lambda k: sorted(p[k] for p in pts)[len(pts) // 2]  # noqa: E731
        L.append(f"| {name} | {c['family']} | {sett} | {_range([p['bpp'] for p in pts], '{:.4f}')} | "
                 f"{_range([p['psnr'] for p in pts], '{:.2f}')} | {_range([p['msssim'] for p in pts], '{:.4f}')} | "
                 f"{med('encode_fps'):.0f} | {med('decode_fps'):.0f} | {cu} |")
    L += ["", "fps: median over the points, frames per second of wall time on this machine. Rates: "
          + "; ".join(sorted({c["rate_note"] for c in res["contenders"].values()})) + ".", "",
          "BD-rate (negative = the test codec needs fewer bits at equal quality), over the stated overlap only:", "",
          "| test | anchor | BD-rate (PSNR) | BD-rate (MS-SSIM) |", "| --- | --- | --- | --- |"]
    for r in res["bd"]:
        if r["metric"] == "psnr":
            m = next((x for x in res["bd"] if x["test"] == r["test"] and x["anchor"] == r["anchor"]
                      and x["metric"] == "msssim" and x["rate"] == r["rate"]), None)
            L.append(f"| {r['test']} | {r['anchor']} | {_fmt_bd(r)} | {_fmt_bd(m, '') if m else '–'} |")
    if res.get("skipped"):
        L += ["", "Left out: " + "; ".join(res["skipped"]) + "."]
    if min(H, W) <= 32:
        L += ["", "At 32 px the MS-SSIM columns hold single-scale SSIM (7-tap window)."]
    return L + [""]


def write_summary(out: Path) -> Path:
    found = {json.loads(p.read_text())["dataset"]: json.loads(p.read_text()) for p in sorted(out.glob("rd-*.json"))}
    results = [found[d] for d in ORDER if d in found]
    quick = any(r.get("quick") for r in results)
    L = ["# RD and speed benchmark" + (" (QUICK MODE: a few sequences and points, for development only)"
                                       if quick else ""), "",
         "Generated by `benchmarks/report.py` from the rd-*.json files beside it.", "", READ_ME, "",
         "## Targets", "", "| dataset | target | measured | met | detail |", "| --- | --- | --- | --- | --- |"]
    for res in results:
        for t in res["targets"]:
            met = {True: "**met**", False: "**missed**", None: "n/a"}[t["met"]]
            val = "–" if t["measured"] is None else f"{t['measured']:.3f}" if abs(t["measured"]) < 10 \
                else f"{t['measured']:.1f}"
            L.append(f"| {t['dataset']} | {t['target']} | {val} | {met} | {t['detail']} |")
    L.append("")
    for res in results:
        L += _dataset_md(res)
        for name, c in res["contenders"].items():
            rows = _estimate_rows(c, res["n_sequences"]) if c["family"] in MODEL_FAMILIES else []
            if rows:
                L += [f"Real bytes vs the model's estimate, {name} (ratios of bits):", "",
                      "| q | estimate b/seq | payload | ANS words | stream − header | whole stream | per-file .bin "
                      "| header B |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
                L += [f"| {r['point']} | {r['estimate_bits_per_seq']:.1f} | {r['payload_over_est']:.3f} | "
                      f"{r['ans_words_over_est']:.3f} | {r['stream_minus_header_over_est']:.3f} | "
                      f"{r['stream_over_est']:.3f} | {r.get('file_over_est', float('nan')):.3f} | {r['header_bytes']} |"
                      for r in rows]
                L += ["", "payload: segment payloads (ANS words + 4 B symbol CRC each); ANS words: without the CRC; "
                      "stream − header: payloads + 8 B framing per segment; whole stream: the .bin of all N "
                      "sequences; per-file .bin: each sequence its own file.", ""]
    if results:
        m = results[0]
        L += ["## Machine", "", f"{m['machine']}", "", f"Versions: {m['versions']}", ""]
    path = out / "SUMMARY.md"
    path.write_text("\n".join(L) + "\n")
    return path
