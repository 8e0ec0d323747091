"""``glassfail deform IN -o RUN_DIR``: athermal quasistatic tension or shear to the first break or to failure.

``--mode shear`` on a sample periodic along x and y (no ``--grips``) is periodic simple shear with a Lees–Edwards
tilted cell (see :mod:`glassfail_core.physics.aqs`); on a non-periodic sample, or with ``--grips``, one grip is
moved sideways."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from .common import console, emit_json, json_option, load_structure, parse_cell, run_with_progress, structure_argument
from .options import check_model, cli_words, output_folder
from ..dataset.labels import labels_from_result
from ..workflows import PREPARED
from .energy import platform_option


@click.command("deform")
@structure_argument()
@click.option("-o", "--out", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              callback=output_folder,
              help="Run folder (result.json, curves.npz, configs.npz, checkpoint); an unfinished run there resumes.")
@click.option("--axis", type=click.Choice(["x", "y"]), default="x", show_default=True,
              help="Loading axis (grip shear: the axis joining the grips; periodic shear: the shear direction, "
                   "x meaning x += γ·y).")
@click.option("--until", type=click.Choice(["first", "failure", "complete"]), default="first", show_default=True,
              help="Stop at the first broken Si–O bond; past failure (the stress has halved after its maximum, "
                   "the dataset's rule); or when the sample separates (stress below 5 %% of its maximum).")
@click.option("--mode", type=click.Choice(["tension", "shear"]), default="tension", show_default=True,
              help="Uniaxial tension, or simple shear: periodic input → Lees–Edwards tilted cell (strain γ, "
                   "stress σ_xy, NumPy engine); non-periodic input or --grips → grips moved sideways.")
@click.option("--angle", type=float, default=0.0, show_default=True,
              help="Loading direction in degrees from the axis (non-periodic samples; 0/90 for periodic ones).")
@click.option("--grips", type=float, default=None,
              help="Grip width in Å (automatic 11 Å for non-periodic input; opens a periodic loading axis).")
@click.option("--transverse", type=click.Choice(["fixed", "relaxed"]), default="fixed", show_default=True,
              help="Transverse cell edge held fixed, or relaxed to zero stress each step.")
@click.option("--step", type=float, default=0.005, show_default=True, help="Strain step.")
@click.option("--refine-step", type=float, default=0.0005, show_default=True, help="Strain step after an event.")
@click.option("--max-strain", type=float, default=0.3, show_default=True, help="Largest strain.")
@click.option("--fmax", type=float, default=1e-5, show_default=True, help="Force tolerance of each minimisation, eV/Å.")
@click.option("--model", default="rhh", show_default=True, help="Interatomic model.")
@platform_option
@click.option("--threads", type=int, default=None, help="Threads of the OpenMM CPU platform.")
@click.option("--cell", help="Cell LXxLY in Å, for files without one (plain XYZ).")
@click.option("--prepare/--no-prepare", default=None,
              help="Repair and relax the structure first (default: automatic for micrograph detections, Si-only "
                   "networks and non-periodic input not at a force minimum); the prepared structure is "
                   "RUN_DIR/prepared.extxyz and the result's atom indices refer to it.")
@json_option
def command(structure, run_dir, axis, until, mode, angle, grips, transverse, step, refine_step, max_strain, fmax,
            model, platform, threads, cell, prepare, as_json):
    """Strain a structure quasistatically and report where and when it breaks (Ctrl-C keeps what was done).

    Structures detected in micrographs are repaired (O at Si–Si midpoints when only Si were seen, overlapping,
    over-coordinated and dangling atoms removed), relaxed at their fixed frame and checked (bonds and rings
    unchanged by the relaxation) before straining; the report is printed.
    """
    from ..errors import InputError
    from ..physics import AQSParams, resolve_platform
    from ..physics.engines import resolve_tilt_platform
    from ..workflows import prepare_deform_steps

    try:
        name = resolve_platform(platform)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform")
    check_model(model)
    try:  # every parameter is checked before the structure is read
        params = AQSParams(step=step, refine_step=refine_step, max_strain=max_strain, axis=axis, until=until,
                           mode=mode, angle=angle, grips=grips, transverse=transverse, fmax=fmax, model=model,
                           platform=name, threads=threads)
    except InputError as exc:
        raise InputError(cli_words(str(exc))) from None
    glass = load_structure(structure, cell=parse_cell(cell))
    if mode == "shear" and grips is None and all(glass.pbc):  # periodic shear: a tilted cell
        try:
            params = replace(params, platform=resolve_tilt_platform(platform))
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--platform")
    job = prepare_deform_steps(glass, params, prepare=prepare, run_dir=run_dir)
    outcome = run_with_progress(job, description="deform", quiet=as_json,
                                fields={"strain": "ε={:.4f}", "stress": "σ={:.5f} eV/Å²", "n_broken": "broken={}"},
                                on_event=None if as_json else _show_prepared(run_dir))
    res, prep = outcome.result, outcome.prepare
    d = res.to_dict(arrays=False)
    labels = labels_from_result(res) if res.strains.size else None
    if labels is not None:  # the one vocabulary: first_break_strain, failure_strain, failure_site, crack, ...
        d.update(labels.to_dict())
    d["run_dir"] = str(run_dir)
    if prep is not None:
        d["prepare"] = prep
    if as_json:
        emit_json(d)
        return
    console.print(res.summary() + (f"  [dim](indices of {run_dir / PREPARED})[/]" if prep is not None else ""))
    if res.peak_stress is not None:
        console.print(f"first stress peak {res.peak_stress:.5f} eV/Å² at strain {res.peak_strain:.4f}; "
                      f"max {res.max_stress:.5f} eV/Å² at {res.max_stress_strain:.4f}; "
                      f"{len(res.breaks)} bond(s) broken" + (f"; separated at {res.separation_strain:.4f}"
                                                              if res.separated else ""))
    if until != "first" and labels is not None:
        console.print(labels.summary().splitlines()[1], highlight=False)
    if res.info.get("boundary") == "lees-edwards":
        v = res.info["cell_vectors"]
        console.print(f"periodic shear {res.info['shear_plane']} (Lees–Edwards): strain = shear γ, stress = σ_xy; "
                      f"final tilt {res.info['tilt']:.3f} Å, cell vectors a = {_vec(v[0])}, b = {_vec(v[1])} Å")
    console.print(f"results in {run_dir}/ (result.json, curves.npz, configs.npz); "
                  f"{res.info['n_minimisations']} minimisations, {res.info['wall_s']:.1f} s on {res.info['platform']}")


def _vec(v):
    return f"({v[0]:.3f}, {v[1]:.3f})"


def _show_prepared(run_dir):
    """Print the preparation report when the workflow says the structure was prepared (or reused)."""
    path = run_dir / PREPARED

    def show(event):
        report = event.data.get("prepare")
        if event.stage != "prepare" or report is None:
            return
        console.print(f"[bold]prepare[/] ({report['reason']}): " + report["summary"].replace("\n", "\n  ")
                      + (f"\n  [dim]reused {path}[/]" if report["reused"] else f"\n  [dim]wrote {path}[/]"))
        if not report["topology_unchanged"]:
            console.print(f"[yellow]warning:[/] relaxation still changed {len(report['bonds_lost'])} bond(s) and "
                          f"added {len(report['bonds_gained'])}; the run starts from the relaxed bonds")

    return show
