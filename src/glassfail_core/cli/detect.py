"""``glassfail detect IMAGE -o atoms.extxyz``: find the Si and O atoms of a micrograph, then its rings."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import click

from .common import console, emit_json, err_console, json_option, run_with_progress
from .options import cli_words, output_file


def _ring_summary(det):
    """Ring statistics of a detection as JSON-ready numbers, or None (with the reason) when it has no rings."""
    st = det.stats
    if st is None:
        return None, det.rings_note
    n = st.n_rings
    return {
        "n_rings": n,
        "open_rings": st.open_rings,
        "counts": {str(k): v for k, v in sorted(st.counts.items())},
        "p": {str(k): v / n for k, v in sorted(st.counts.items())} if n else {},
        "mean": None if math.isnan(st.mean) else st.mean,
        "mu2": None if math.isnan(st.mu2) else st.mu2,
    }, None


def _summary(det, out_path):
    glass = det.glass
    info = glass.info
    rings, why = _ring_summary(det)
    conf = glass.arrays.get("confidence")
    d = {
        "output": None if out_path is None else str(out_path),
        "source": info.get("source"),
        "frame": info.get("frame"),
        "pixel_size": info.get("pixel_size"),
        "image_shape": info.get("image_shape"),
        "species_mode": info.get("species_mode"),
        "polarity": info.get("polarity"),
        "counts": {"Si": glass.n_si, "O": glass.n_o, "O_inferred": int(info.get("n_o_inferred", 0))},
        "mean_confidence": float(conf.mean()) if conf is not None and len(conf) else 0.0,
        "rings": rings,
    }
    if why:
        d["rings_note"] = why
    return d


@click.command("detect")
@click.argument("image", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              callback=output_file("structure"), help="Structure file to write (extxyz keeps confidence and metadata). Stacks: one file per frame, "
                   "named OUTPUT_f000.extxyz, ... unless --frame is given.")
@click.option("--pixel-size", type=float, help="Pixel size in Å/px (needed when the file has no calibration; "
                                               "overrides it otherwise).")
@click.option("--species", type=click.Choice(["auto", "si-only", "si-o"]), default="auto", show_default=True,
              help="Read Si and O from the image (si-o), Si only with O at Si–Si midpoints (si-only), or decide.")
@click.option("--invert/--no-invert", default=None,
              help="Atoms are dark on a bright background (--invert) or bright (--no-invert); default: detected.")
@click.option("--frame", type=int, help="Frame of a stack (0-based). Default: every frame in turn.")
@click.option("--sensitivity", type=float, default=1.0, show_default=True,
              help="Higher finds fainter spots (threshold 5/sensitivity noise σ).")
@click.option("--atom-sigma", type=float, default=0.5, show_default=True, help="Spot width (σ, Å) of a Si atom.")
@click.option("--no-scale-check", is_flag=True, help="Do not check the pixel size against the Si–Si spacing.")
@json_option
def command(image, output, pixel_size, species, invert, frame, sensitivity, atom_sigma, no_scale_check, as_json):
    """Find the atoms of a micrograph (TIFF, PNG/JPEG, dm3/dm4, emd, ser) and write them as a structure.

    Prints counts per species, the ring-size distribution p(n) of the rebuilt network and the mean detection
    confidence.
    """
    from rich.markup import escape

    from ..io import write_structure
    from ..micrograph import count_frames, read_micrograph
    from ..workflows import detect_rings_steps

    if pixel_size is not None and not pixel_size > 0:
        raise click.BadParameter(f"must be positive (Å/px), got {pixel_size}", param_hint="--pixel-size")
    if not sensitivity > 0:
        raise click.BadParameter(f"must be positive, got {sensitivity}", param_hint="--sensitivity")
    if not atom_sigma > 0:
        raise click.BadParameter(f"must be positive (Å), got {atom_sigma}", param_hint="--atom-sigma")
    if frame is None and count_frames(image) > 1:
        frames = list(range(count_frames(image)))
        outs = [output.with_name(f"{output.stem}_f{k:03d}{output.suffix}") for k in frames]
    else:
        frames, outs = [frame], [output]
    results = []
    for k, out in zip(frames, outs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = read_micrograph(image, pixel_size=pixel_size, frame=k)
            job = detect_rings_steps(m, species=species, invert=invert, sensitivity=sensitivity,
                                     atom_sigma=atom_sigma, check_scale=not no_scale_check)
            det = run_with_progress(job, description="detect", quiet=as_json)
        glass = det.glass
        for note in m.info.get("notes", []):
            err_console.print(f"[yellow]note:[/] {escape(cli_words(note))}", highlight=False)
        for w in caught:
            err_console.print(f"[yellow]warning:[/] {escape(cli_words(str(w.message)))}", highlight=False)
        if len(glass) == 0:  # nothing to write: say so instead of leaving an empty structure file
            err_console.print(f"[yellow]warning:[/] no atoms found; {escape(str(out))} was not written", highlight=False)
            results.append(_summary(det, None))
            continue
        write_structure(glass, out)
        results.append(_summary(det, out))
    if as_json:
        emit_json(results[0] if len(results) == 1 else results)
        return
    for d in results:
        if d["output"] is None:
            continue
        r = d["rings"]
        p = ", ".join(f"{k}: {v:.3f}" for k, v in r["p"].items()) if r else d.get("rings_note", "")
        console.print(
            f"wrote {d['output']}: {d['counts']['Si']} Si, {d['counts']['O']} O "
            f"({d['counts']['O_inferred']} placed at Si–Si midpoints); species mode {d['species_mode']}, "
            f"{d['polarity']}; mean confidence {d['mean_confidence']:.3f}", highlight=False)
        if r:
            console.print(f"rings: {r['n_rings']} closed ({r['open_rings']} open at the edges); p(n) {p}",
                          highlight=False)
