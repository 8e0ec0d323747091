"""``glassfail predict INPUT [--model MODEL_DIR]``: when and where a structure or a micrograph fails in tension."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .common import console, emit_json, err_console, json_option, load_input
from .options import output_file


def _write_maps(pred, path: Path):
    """The probability maps as a float32 TIFF stack, the frame in its description (JSON)."""
    import numpy as np
    import tifffile

    from .._atomic import atomic_path

    names = list(pred.maps)
    meta = {"maps": names, "pixel_size": list(pred.map_pixel_size), "origin": list(pred.map_origin),
            "units": "probability per pixel", "model": pred.model}
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, np.stack([pred.maps[n] for n in names]).astype(np.float32),
                         description=json.dumps(meta))


def _interval(d, fmt=".4f"):
    if d is None:
        return "n/a"
    if d["low"] is None:
        return format(d["value"], fmt)
    return f"{d['value']:{fmt}} (90 %: {d['low']:{fmt}}–{d['high']:{fmt}})"


@click.command("predict")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model folder (default: the shipped model).")
@click.option("--pixel-size", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Å/px of a micrograph without calibration.")
@click.option("--frame", type=int, default=None, help="Frame of a micrograph stack.")
@click.option("--axis", type=click.Choice(["x", "y"]), default="x", show_default=True, help="Loading axis.")
@click.option("--angle", type=float, default=None,
              help="Loading direction in degrees from x (non-periodic inputs: any; periodic: 0 or 90).")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              callback=output_file("micrograph"),
              help="Write the crack and first-break probability maps (TIFF stack).")
@click.option("--direct", is_flag=True,
              help="Micrographs: run the network on the calibrated image itself, resampled to the model's pixel "
                   "size, instead of on the detected atoms re-rendered in the training style (for comparison).")
@click.option("--linear-response", is_flag=True,
              help="Also give the linear-response first-break site: the bond that stretches most under a 0.5 % "
                   "strain after relaxation (one relaxation; periodic structures).")
@json_option
def command(input_path, model_dir, pixel_size, frame, axis, angle, map_path, direct, linear_response, as_json):
    """Predict the failure strain, strength and first-break strain (with 90 % intervals) and the failure and
    first-break sites of INPUT: a structure file, or a micrograph (atoms detected, then re-rendered in the
    training style)."""
    from ..learn.predict import predict

    obj = load_input(input_path, pixel_size=pixel_size, frame=frame)
    pred = predict(obj, model_dir, axis=axis, angle=angle, direct=direct, linear_response=linear_response)
    if map_path is not None:
        _write_maps(pred, map_path)
    d = pred.to_dict()
    d["input"]["path"] = str(input_path)
    if map_path is not None:
        d["map_file"] = str(map_path)
    if as_json:
        emit_json(d)
        return
    what = "the image itself (--direct)" if d["input"].get("mode") == "direct" else f"{d['input']['n_atoms']} atoms"
    console.print(f"{input_path}: {what} ({d['input']['kind']}, "
                  f"{'periodic' if d['input']['periodic'] else 'non-periodic'}), tension along "
                  f"{axis if angle is None else f'{angle:g}°'}", highlight=False)
    console.print(f"failure strain      {_interval(pred.failure_strain)}", highlight=False)
    if pred.max_stress is not None:
        s = pred.max_stress
        console.print(f"strength σ_max      {_interval(s, '.5f')} eV/Å² = {s['N_per_m']['value']:.3f} N/m",
                      highlight=False)
    console.print(f"first-break strain  {_interval(pred.first_break_strain)}", highlight=False)
    for label, sites in (("failure site", pred.failure_sites), ("first-break site", pred.first_break_sites)):
        txt = ", ".join(f"({s['xy'][0]:.1f}, {s['xy'][1]:.1f}) Å p={s['probability']:.2f}" for s in sites)
        console.print(f"{label:<19} {txt or 'n/a'}", highlight=False)
    if pred.linear_response_site is not None:
        x, y = pred.linear_response_site
        strain = pred.linear_response_strain
        at = f", strain {_interval(strain)}" if strain is not None else ""
        console.print(f"{'first break (linear response)':<19} ({x:.1f}, {y:.1f}) Å{at}", highlight=False)
    if pred.region is not None:
        r = pred.region
        console.print(f"weakest region      x {r[0]:.1f}–{r[2]:.1f}, y {r[1]:.1f}–{r[3]:.1f} Å", highlight=False)
    for w in pred.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    m = pred.model
    console.print(f"[dim]model {m['name']} {m['version']} (sha256 {str(m['sha256'])[:12]}…)[/]", highlight=False)
    if map_path is not None:
        console.print(f"wrote {map_path}", highlight=False)
