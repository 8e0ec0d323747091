"""``glassfail interpret DATASET -o REPORT_DIR``: what in the structure draws the model's attention, with the sanity
checks of the heatmaps (HTML report + JSON of every number)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option
from .options import output_folder


@click.command("interpret")
@click.argument("dataset_dir", metavar="DATASET", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              callback=output_folder,
              help="Report folder (report.html with its images, report.json).")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="Model folder (default: the shipped model).")
@click.option("--split", type=click.Choice(["train", "val", "test", "all"]), default="test", show_default=True,
              help="Split to read (all: every sample, for a transfer set).")
@click.option("--target", type=click.Choice(["failure_strain", "max_stress", "first_break_strain"]),
              default="failure_strain", show_default=True, help="Scalar prediction whose maps are read.")
@click.option("--layer", default=None, help="stem, stage1, stage2, stage3 or an encoder module (default: the deepest "
                                            "stage whose map is at least 16 × 16).")
@click.option("--copies", type=click.IntRange(min=1), default=64, show_default=True,
              help="Augmented copies averaged per map.")
@click.option("--null", "n_null", type=click.IntRange(min=10), default=200, show_default=True,
              help="Randomly shifted maps per sample for the null distributions.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many samples of the split.")
@click.option("--no-nonaffine", is_flag=True, help="Skip the non-affine response to a small strain (a relaxation "
                                                   "per sample).")
@click.option("--no-sanity", is_flag=True, help="Skip the randomisation checks.")
@click.option("--no-label-check", is_flag=True, help="Skip the label randomisation (it trains three small networks).")
@click.option("--label-epochs", type=int, default=40, show_default=True,
              help="Epochs of the small networks of the label randomisation.")
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def command(dataset_dir, out_dir, model_dir, split, target, layer, copies, n_null, limit, no_nonaffine, no_sanity,
            no_label_check, label_epochs, seed, as_json):
    """Read the model's Grad-CAM maps over a split of DATASET in physical terms: rank correlations of ring and atom
    attributions with ring size, |n − 6|, potential energy and the non-affine response (against shifted-map nulls),
    the ring sizes that attract attribution, where the maximum lies against the true sites, and the sanity checks
    of Adebayo et al. (cascading and label randomisation)."""
    from ..explain.interpret import interpret_steps
    from ..explain.report import summary_sentences
    from ..learn.predict import DEFAULT_MODEL_DIR
    from .common import run_with_progress

    model = model_dir if model_dir is not None else DEFAULT_MODEL_DIR
    if model_dir is None and not (DEFAULT_MODEL_DIR / "config.json").is_file():
        raise click.BadParameter("no shipped model in this glassfail yet; pass --model MODEL_DIR", param_hint="--model")
    job = interpret_steps(model, dataset_dir, out_dir=out_dir, split=split, target=target, layer=layer,
                          copies=copies, n_null=n_null, limit=limit, nonaffine=not no_nonaffine,
                          sanity=not no_sanity, label_randomisation=not no_label_check, label_epochs=label_epochs,
                          seed=seed)
    report = run_with_progress(job, description="interpret", quiet=as_json)
    if as_json:
        emit_json({k: v for k, v in report.items() if k != "per_sample"})
        return
    console.print(f"{report['n']} samples of the {split} split, Grad-CAM of {target} at {report['layer']}",
                  highlight=False)
    for s in summary_sentences(report):
        console.print(f"- {s}", highlight=False)
    console.print(f"wrote {Path(out_dir) / 'report.html'} and report.json", highlight=False)
