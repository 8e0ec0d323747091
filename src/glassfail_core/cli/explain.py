"""``glassfail explain INPUT -o OUT_DIR``: why the model predicts what it predicts (Grad-CAM mapped to atoms and
rings)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, err_console, json_option, load_input
from .options import output_folder


@click.command("explain")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              callback=output_folder,
              help="Output folder (heatmap PNG and TIFF, atoms and rings CSVs, atoms extxyz, JSON).")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model folder (default: the shipped model).")
@click.option("--target", type=click.Choice(["failure_strain", "max_stress", "first_break_strain"]),
              default="failure_strain", show_default=True, help="Scalar prediction to explain.")
@click.option("--layer", default=None,
              help="stem, stage1, stage2, stage3 or an encoder module (default: the deepest stage whose map is at "
                   "least 16 × 16).")
@click.option("--variant", type=click.Choice(["relu", "abs", "neg", "signed"]), default="relu", show_default=True,
              help="relu: standard Grad-CAM (raises the prediction); abs: the reference study's |Σ α A|; neg: "
                   "lowers it; signed: Σ α A.")
@click.option("--copies", type=click.IntRange(min=1), default=None,
              help="Augmented copies averaged (default 64; non-periodic inputs: the 4 flips).")
@click.option("--axis", type=click.Choice(["x", "y"]), default="x", show_default=True, help="Loading axis.")
@click.option("--truth", "truth_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A deform run folder of this structure: its true failure and first-break sites are marked.")
@click.option("--pixel-size", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Å/px of a micrograph without calibration.")
@click.option("--frame", type=int, default=None, help="Frame of a micrograph stack.")
@json_option
def command(input_path, out_dir, model_dir, target, layer, variant, copies, axis, truth_dir, pixel_size, frame,
            as_json):
    """Explain the prediction for INPUT (a structure file or a micrograph): a Grad-CAM heatmap of the chosen target,
    averaged over flipped and translated copies, integrated over every atom's Voronoi cell and every ring."""
    from ..explain.explanation import DEFAULT_COPIES, explain_steps
    from ..explain.figures import write_explanation
    from .common import run_with_progress

    obj = load_input(input_path, pixel_size=pixel_size, frame=frame)
    truth = None
    if truth_dir is not None:
        from ..dataset import labels_from_result
        from ..io import read_run_result

        truth = labels_from_result(read_run_result(truth_dir))
    job = explain_steps(obj, model_dir, target=target, layer=layer, variant=variant,
                        copies=DEFAULT_COPIES if copies is None else copies, axis=axis)
    expl = run_with_progress(job, description="explain", quiet=as_json)
    files = write_explanation(expl, out_dir, truth)
    if as_json:
        d = expl.to_dict()
        d["input_path"] = str(input_path)
        d["files"] = {k: str(v) for k, v in files.items()}
        emit_json(d)
        return
    s, pred = expl.summary, expl.prediction
    value = getattr(pred, target)
    console.print(f"{input_path}: {len(expl.glass)} atoms, {len(expl.rings['ring'])} rings; {target} "
                  f"{'n/a' if value is None else format(value['value'], '.4g')}", highlight=False)
    console.print(f"Grad-CAM ({variant}) at {expl.layer}, {expl.copies} copies: maximum at "
                  f"({s['max_xy'][0]:.1f}, {s['max_xy'][1]:.1f}) Å", highlight=False)
    for r in s.get("top_rings", [])[:3]:
        console.print(f"  ring {r['ring']} ({r['size']}-ring) at ({r['xy'][0]:.1f}, {r['xy'][1]:.1f}) Å: "
                      f"{r['density']:.3g} per Å²", highlight=False)
    by = s.get("density_by_size", {})
    if by:
        console.print("mean density per ring size (relative): " + ", ".join(
            f"{n}: {v['relative_density']:.2f} (×{v['n']})" for n, v in sorted(by.items())), highlight=False)
    for w in expl.warnings + list(pred.warnings):
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(f"wrote {len(files)} files to {out_dir}", highlight=False)
