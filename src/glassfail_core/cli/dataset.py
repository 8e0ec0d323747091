"""``glassfail dataset build|info|show``: labelled glasses strained to failure, built on Dask."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, run_with_progress
from .options import output_file, output_folder


def _variance_range(value):
    try:
        parts = [float(v) for v in value.split(":")]
        if len(parts) == 1:
            parts = parts * 2
        lo, hi = parts
    except ValueError:
        raise click.BadParameter(f"expected LO:HI like 0.2:1.2, got {value!r}", param_hint="--variance")
    if not 0 <= lo <= hi:
        raise click.BadParameter(f"expected 0 ≤ LO ≤ HI, got {value!r}", param_hint="--variance")
    return lo, hi


def _rings(value):
    from ..generation.amorphous import parse_rings
    from ..errors import InputError

    try:
        return parse_rings(value)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--rings")


@click.group("dataset")
def command():
    """Build, describe and inspect datasets of glasses strained past failure."""


@command.command("build")
@click.argument("root", type=click.Path(path_type=Path), callback=output_folder)
@click.option("--n", "n", type=int, default=100, show_default=True,
              help="Number of samples (a larger --n grows the same dataset).")
@click.option("--variance", default="0.2:1.2", show_default=True, help="Target ring-size variance range LO:HI.")
@click.option("--rings", default="16x18", show_default=True, help="Ring lattice of each glass.")
@click.option("--shape", type=click.Choice(["periodic", "disc", "rect"]), default="periodic", show_default=True,
              help="Periodic cells, or non-periodic cuts pulled by grips.")
@click.option("--seed", type=int, default=0, show_default=True, help="Dataset seed.")
@click.option("--until", type=click.Choice(["failure", "first"]), default="failure", show_default=True,
              help="Strain past failure (until the stress halves after its maximum) or to the first break.")
@click.option("--max-strain", type=float, default=None, help="Strain cap of each run.")
@click.option("--workers", type=int, default=None,
              help="Local worker processes (default: one per core; 0 = this process only).")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler, e.g. tcp://host:8786.")
@json_option
def build_command(root, n, variance, rings, shape, seed, until, max_strain, workers, scheduler, as_json):
    """Build (or grow, or resume) a dataset in ROOT: one task per sample on dask.distributed."""
    from ..dataset import DatasetSpec
    from ..dataset.build import build_steps
    from ..dataset.spec import DEFAULT_PROTOCOL

    if n < 1:
        raise click.BadParameter(f"must be a positive integer, got {n}", param_hint="--n")
    if workers is not None and workers < 0:
        raise click.BadParameter(f"must be ≥ 0, got {workers}", param_hint="--workers")
    protocol = dict(DEFAULT_PROTOCOL, until=until)
    if max_strain is not None:
        if not 0 < max_strain <= 2:
            raise click.BadParameter(f"must be in (0, 2], got {max_strain}", param_hint="--max-strain")
        protocol["max_strain"] = max_strain
    spec = DatasetSpec(seed=seed, variance=_variance_range(variance), rings=_rings(rings), shape=shape,
                       protocol=protocol)
    job = build_steps(root, spec, n, workers=workers, scheduler=scheduler)
    summary = run_with_progress(job, description="dataset", quiet=as_json)
    if as_json:
        emit_json(summary.to_dict())
        return
    console.print(f"{root}: {summary.kept + summary.made} sample(s) ({summary.made} new, {summary.kept} kept), "
                  f"{summary.failed} failed in {summary.wall_s:.0f} s; identity {spec.identity()}", highlight=False)
    for reason, k in summary.reasons.items():
        console.print(f"  failed ×{k}: {reason}", highlight=False)


@command.command("info")
@click.argument("root", type=click.Path(path_type=Path))
@click.option("--plots", type=click.Path(file_okay=False, path_type=Path), default=None, callback=output_folder,
              help="Write label histograms and scatter plots (PNG) here.")
@json_option
def info_command(root, plots, as_json):
    """Counts, failures and their reasons, label statistics and correlations of a dataset."""
    from ..dataset import load_dataset
    from ..dataset.summary import dataset_plots, dataset_summary

    ds = load_dataset(root)
    s = dataset_summary(ds)
    if plots is not None:
        s["plots"] = [str(p) for p in dataset_plots(ds, plots)]
    if as_json:
        emit_json(s)
        return
    from rich.table import Table

    sp = s["spec"]
    console.print(f"{root}: {s['samples']} samples, {s['failed']} failed; identity {s['identity']} (seed "
                  f"{sp['seed']}, s² {sp['variance'][0]:g}:{sp['variance'][1]:g}, rings {sp['rings'][0]}x"
                  f"{sp['rings'][1]}, {sp['shape']}, until {sp['protocol'].get('until')})", highlight=False)
    console.print("splits " + ", ".join(f"{k} {v}" for k, v in s["splits"].items()), highlight=False)
    for reason, k in s["failure_reasons"].items():
        console.print(f"  failed ×{k}: {reason}", highlight=False)
    table = Table("label", "n", "mean", "std", "min", "median", "max")
    for name, st in s["labels"].items():
        if st.get("n"):
            table.add_row(name, str(st["n"]), *(f"{st[k]:.5g}" for k in ("mean", "std", "min", "median", "max")))
    console.print(table)
    for pair, c in s["correlations"].items():
        if c["pearson"] is not None:
            console.print(f"{pair.replace('~', ' vs ')}: Pearson {c['pearson']:.3f}, Spearman {c['spearman']:.3f}",
                          highlight=False)
    d = s.get("first_break_to_failure_site", {})
    if d.get("n"):
        console.print(f"first-break site → failure site: median {d['median']:.1f} Å, within 5 Å "
                      f"{d['within_5A']:.0%} (n = {d['n']})", highlight=False)
    console.print(f"runs capped before the stress halved: {s['capped']}", highlight=False)
    for p in s.get("plots", []):
        console.print(f"wrote {p}", highlight=False)


@command.command("show")
@click.argument("root", type=click.Path(path_type=Path))
@click.argument("sample", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              callback=output_file("structure"), help="Write the sample's relaxed initial structure (extxyz, xyz, LAMMPS data).")
@json_option
def show_command(root, sample, output, as_json):
    """One sample's labels; -o writes its relaxed initial structure (to re-simulate or open in napari)."""
    from ..dataset import load_dataset
    from ..io import write_structure

    ds = load_dataset(root)
    s = ds.sample(sample)
    if output is not None:
        write_structure(s.glass, output)
    if as_json:
        emit_json({"index": sample, "split": s.split, **s.labels, "meta": s.meta,
                   "output": None if output is None else str(output)})
        return
    lab = s.labels
    console.print(f"sample {sample} ({s.split}): {len(s.glass)} atoms, s² {s.meta['glass_info'].get('variance', 0):.4f}"
                  f", seed {s.meta['seed']}", highlight=False)
    fb = lab["first_break_site"]
    console.print(f"first break at ε = {lab['first_break_strain']:.4f} at ({fb[0]:.2f}, {fb[1]:.2f}) Å; "
                  f"{lab['n_breaks_before_max']} break(s) before the maximum", highlight=False)
    fs = lab["failure_site"]
    site = "no bond broke after the maximum" if fs is None else (
        f"failure site ({fs[0]:.2f}, {fs[1]:.2f}) Å, crack of {len(lab['crack'])} bond(s)")
    console.print(f"failure: σ_max {lab['max_stress']:.5f} eV/Å² at ε = {lab['failure_strain']:.4f}; {site}",
                  highlight=False)
    if output is not None:
        console.print(f"wrote {output}", highlight=False)
