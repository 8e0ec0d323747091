"""``glassfail deform IN -o RUN_DIR``: athermal quasistatic tension (or shear) to the first break or to failure."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, load_structure, parse_cell, run_with_progress, structure_argument
from .energy import platform_option


@click.command("deform")
@structure_argument()
@click.option("-o", "--out", "run_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Run folder (result.json, curves.npz, configs.npz, checkpoint); an unfinished run there resumes.")
@click.option("--axis", type=click.Choice(["x", "y"]), default="x", show_default=True, help="Loading axis.")
@click.option("--until", type=click.Choice(["first", "complete"]), default="first", show_default=True,
              help="Stop at the first broken Si–O bond, or strain on until the sample separates.")
@click.option("--mode", type=click.Choice(["tension", "shear"]), default="tension", show_default=True,
              help="Uniaxial tension, or simple shear (with grips).")
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
@json_option
def command(structure, run_dir, axis, until, mode, angle, grips, transverse, step, refine_step, max_strain, fmax,
            model, platform, threads, cell, as_json):
    """Strain a structure quasistatically and report where and when it breaks (Ctrl-C keeps what was done)."""
    from ..errors import InputError
    from ..physics import AQSParams, deform_steps, resolve_platform

    try:
        name = resolve_platform(platform)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform")
    glass = load_structure(structure, cell=parse_cell(cell))
    try:
        params = AQSParams(step=step, refine_step=refine_step, max_strain=max_strain, axis=axis, until=until,
                           mode=mode, angle=angle, grips=grips, transverse=transverse, fmax=fmax, model=model,
                           platform=name, threads=threads)
    except InputError as exc:
        raise click.UsageError(str(exc))
    job = deform_steps(glass, params, run_dir=run_dir)
    res = run_with_progress(job, description="deform", quiet=as_json,
                            fields={"strain": "ε={:.4f}", "stress": "σ={:.5f} eV/Å²", "broken": "broken={}"})
    d = res.to_dict(arrays=False)
    d["run_dir"] = str(run_dir)
    if as_json:
        emit_json(d)
        return
    console.print(res.summary())
    if res.peak_stress is not None:
        console.print(f"first stress peak {res.peak_stress:.5f} eV/Å² at strain {res.peak_strain:.4f}; "
                      f"max {res.max_stress:.5f} eV/Å² at {res.max_stress_strain:.4f}; "
                      f"{len(res.breaks)} bond(s) broken" + (f"; separated at {res.separation_strain:.4f}"
                                                              if res.separated else ""))
    console.print(f"results in {run_dir}/ (result.json, curves.npz, configs.npz); "
                  f"{res.info['n_minimisations']} minimisations, {res.info['wall_s']:.1f} s on {res.info['platform']}")
