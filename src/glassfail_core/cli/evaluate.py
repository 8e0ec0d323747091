"""``glassfail evaluate MODEL_DIR DATASET -o REPORT_DIR``: every metric of a model and its baselines on a split."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, run_with_progress
from .options import output_folder


def _f(v, fmt=".3f"):
    return "n/a" if v is None else format(v, fmt)


@click.command("evaluate")
@click.argument("model_dir", type=click.Path(path_type=Path))
@click.argument("dataset", type=click.Path(file_okay=False, path_type=Path))
@click.option("--split", type=click.Choice(["train", "val", "test", "all"]), default="test", show_default=True,
              help="Split to evaluate (all: every sample, for a transfer set; the baselines are then fitted on the "
                   "model's own training dataset when it is here).")
@click.option("-o", "--out", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              callback=output_folder,
              help="Folder for report.json and the PNG plots.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many samples.")
@click.option("--as-trained", is_flag=True,
              help="Exactly the samples of --split the model was trained with (its test split as it was, however "
                   "the dataset has grown since).")
@click.option("--no-baselines", is_flag=True, help="Skip the baselines.")
@click.option("--recipe", type=click.Path(exists=True, path_type=Path), default=None,
              help="recipe.json of the reference study's recipe (benchmarks/recipe_baseline.py), added as the "
                   "resnet_recipe baseline.")
@json_option
def command(model_dir, dataset, split, report_dir, limit, as_trained, no_baselines, recipe, as_json):
    """R² and Pearson r², MAE, Spearman (by s² tercile), interval coverage, site distances and map mass, beside the
    baselines (training mean, s² line, linear-response line, ridge, gradient boosting — fitted on the model's own
    training samples —, the reference recipe with --recipe; random point, highest-energy atom, smallest ring, linear
    response)."""
    from ..learn.evaluate import evaluate_steps

    job = evaluate_steps(model_dir, dataset, split=split, out_dir=report_dir, limit=limit,
                         baselines=not no_baselines, recipe=recipe, as_trained=as_trained)
    rep = run_with_progress(job, description="evaluate", quiet=as_json)
    if as_json:
        emit_json({k: v for k, v in rep.items() if k != "per_sample"})
        return
    from rich.table import Table

    console.print(f"{model_dir} on {dataset} ({split}, {rep['n']} samples)", highlight=False)
    table = Table("target", "predictor", "R²", "Pearson r²", "MAE", "Spearman", "coverage (95 % CI)")
    for t, sec in rep["scalars"].items():
        m, c = sec["model"], sec["coverage"]
        cov = "n/a" if c.get("coverage") is None else f"{c['coverage']:.2f} ({c['ci95'][0]:.2f}–{c['ci95'][1]:.2f})"
        table.add_row(t, "model", _f(m["r2"]), _f(m["pearson_r2"]), _f(m["mae"], ".4g"), _f(m["spearman"]), cov)
        for b, s in sec["baselines"].items():
            table.add_row("", b, _f(s["r2"]), _f(s["pearson_r2"]), _f(s["mae"], ".4g"), _f(s["spearman"]), "")
    console.print(table)
    sites = Table("site", "predictor", "median Å", "≤ 5 Å", "≤ 10 Å", "nearest bond median Å", "mass ≤ 5 Å")
    for site, sec in rep["sites"].items():
        if "model" not in sec:
            continue
        for name, s in [("model", sec["model"])] + list(sec["baselines"].items()):
            nb = s.get("nearest_bond") or {}
            sites.add_row(site if name == "model" else "", name, _f(s["median"], ".1f"), _f(s["within_5A"], ".2f"),
                          _f(s["within_10A"], ".2f"), _f(nb.get("median"), ".1f"), _f(s.get("mass_within_5A"), ".3f"))
    console.print(sites)
    if report_dir is not None:
        console.print(f"wrote {report_dir}/report.json and {len(rep.get('plots', []))} plot(s)", highlight=False)
