"""``glassfail train DATASET -o MODEL_DIR``: train the failure model on a built dataset (resumes when killed)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, run_with_progress
from .options import output_folder


def _targets(value):
    from ..learn.data import TARGETS

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [n for n in names if n not in TARGETS]
    if bad or not names:
        raise click.BadParameter(f"choose among {', '.join(TARGETS)}, got {value!r}", param_hint="--targets")
    return names


@click.command("train")
@click.argument("dataset", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--out", "model_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              callback=output_folder,
              help="Model folder (model.safetensors, config.json, checkpoint/, evaluation/); an unfinished "
                   "training there resumes.")
@click.option("--targets", default="failure_strain,max_stress,first_break_strain", show_default=True,
              help="Scalar targets, comma-separated (the crack and first-break maps are always learned).")
@click.option("--epochs", type=int, default=60, show_default=True, help="Largest number of epochs.")
@click.option("--patience", type=int, default=15, show_default=True,
              help="Stop after this many epochs without a better validation loss.")
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option("--lr", type=float, default=2e-3, show_default=True, help="Initial learning rate (cosine decay).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of weights, order, augmentation, noise.")
@click.option("--map-weight", type=click.FloatRange(min=0.0), default=2.0, show_default=True,
              help="Weight of the site maps' loss (KL divergence) against the scalars' (MSE of standardised values).")
@click.option("--cut-fraction", type=click.FloatRange(0.0, 1.0), default=0.0, show_default=True,
              help="Fraction of training images drawn as non-periodic windows (the cell cut out of its periodic "
                   "surroundings, as a micrograph shows a glass) so the model also reads non-periodic inputs.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--threads", type=int, default=None, help="CPU threads of torch (default: torch's choice).")
@click.option("--limit", type=int, default=None, help="At most this many samples per split (quick trials).")
@click.option("--no-evaluate", is_flag=True, help="Skip the final evaluation on the test split.")
@json_option
def command(dataset, model_dir, targets, epochs, patience, batch_size, lr, seed, map_weight, cut_fraction, device,
            threads, limit, no_evaluate, as_json):
    """Train the CNN on DATASET: scalars (failure strain, σ_max, first-break strain) and the crack and first-break
    maps, with 90 % conformal intervals; deterministic with --seed, early stopping on the validation split, a
    checkpoint every epoch, a final evaluation on the test split in MODEL_DIR/evaluation/."""
    from ..learn.train import train_steps

    for name, v in (("--epochs", epochs), ("--patience", patience), ("--batch-size", batch_size)):
        if v < 1:
            raise click.BadParameter(f"must be ≥ 1, got {v}", param_hint=name)
    if threads is not None and threads < 1:
        raise click.BadParameter(f"must be ≥ 1, got {threads}", param_hint="--threads")
    job = train_steps(dataset, model_dir, targets=_targets(targets), epochs=epochs, patience=patience,
                      batch_size=batch_size, lr=lr, seed=seed, map_weight=map_weight, device=device, threads=threads,
                      input={"cut_fraction": cut_fraction},
                      limit=limit, evaluate=not no_evaluate)
    res = run_with_progress(job, description="train", quiet=as_json,
                            fields={"epoch": "epoch {}", "train_loss": "train {:.4f}", "val_loss": "val {:.4f}"},
                            on_event=None if as_json else _show_epoch)
    if as_json:
        emit_json(res.to_dict())
        return
    console.print(f"{model_dir}: best epoch {res.best_epoch} of {res.epochs_run} (validation loss "
                  f"{res.best_val_loss:.4f}) in {res.wall_s:.0f} s" +
                  (f"; resumed after epoch {res.resumed_from}" if res.resumed_from else ""), highlight=False)
    for t, h in res.intervals.get("halfwidth", {}).items():
        console.print(f"  {t}: 90 % interval ± {h:.4g}" + ("" if res.intervals["exact"][t] else
                                                             " (too few validation samples: largest residual)"),
                      highlight=False)
    for t, m in res.test_metrics.items():
        if isinstance(m, dict) and "r2" in m:
            console.print(f"  test {t}: R² {_f(m['r2'])}, Pearson r² {_f(m['pearson_r2'])}, MAE {_f(m['mae'])}, "
                          f"coverage {_f(m['coverage'])}", highlight=False)
        elif isinstance(m, dict) and "median_A" in m:
            console.print(f"  test {t}: median {_f(m['median_A'])} Å, within 10 Å {_f(m['within_10A'])}",
                          highlight=False)


def _f(v):
    return "n/a" if v is None else f"{v:.3g}"


def _show_epoch(event):
    if "val_loss" in event.data:
        d = event.data
        console.print(f"[dim]epoch {d['epoch']}: train {d['train_loss']:.4f} (scalars {d['train_scalar']:.4f}, "
                      f"maps {d['train_map']:.3f}), val {d['val_loss']:.4f}, lr {d['lr']:.2g}, "
                      f"{d['elapsed_s']:.0f} s[/]", highlight=False)
