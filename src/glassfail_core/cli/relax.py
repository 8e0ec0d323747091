"""``glassfail relax IN OUT [--cell]``: minimise the energy (positions, optionally the cell to zero stress)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, emit_json, json_option, load_structure, parse_cell, run_with_progress, structure_argument
from .energy import platform_option
from .options import check_model, output_file


@click.command("relax")
@structure_argument("source")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path), callback=output_file("structure"))
@click.option("--cell", "relax_cell", is_flag=True, help="Also relax the periodic cell edges to zero stress.")
@click.option("--fmax", type=float, default=1e-6, show_default=True, help="Force tolerance, max |F| in eV/Å.")
@click.option("--stress-tol", type=float, default=1e-5, show_default=True, help="Stress tolerance in eV/Å² (--cell).")
@click.option("--model", default="rhh", show_default=True, help="Interatomic model.")
@platform_option
@click.option("--input-cell", "cell", help="Cell LXxLY in Å, for input files without one (plain XYZ).")
@json_option
def command(source, dest, relax_cell, fmax, stress_tol, model, platform, cell, as_json):
    """Relax a structure with the interatomic model and write the result (extxyz keeps everything)."""
    from ..errors import InputError
    from ..io import write_structure
    from ..physics import relax_steps, resolve_platform

    if not fmax > 0:
        raise click.BadParameter("must be positive", param_hint="--fmax")
    if not stress_tol > 0:
        raise click.BadParameter("must be positive", param_hint="--stress-tol")
    try:
        name = resolve_platform(platform)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform")
    check_model(model)
    glass = load_structure(source, cell=parse_cell(cell, "--input-cell"))
    job = relax_steps(glass, cell=relax_cell, fmax=fmax, stress_tol=stress_tol, model=model, platform=name)
    out = run_with_progress(job, description="relax", quiet=as_json,
                            fields={"energy": "E={:.6f} eV", "fmax": "max|F|={:.1e}", "stress": "|σ|={:.1e}"})
    write_structure(out, dest)
    r = out.info["relax"]
    d = {"file": str(dest), "energy_eV": r["energy"], "max_force_eV_per_A": r["fmax"], "stress_eV_per_A2": r["stress"],
         "cell": out.cell.tolist(), "cycles": r["cycles"], "platform": r["platform"]}
    if as_json:
        emit_json(d)
        return
    console.print(f"wrote {dest}: E = {r['energy']:.8f} eV, max|F| = {r['fmax']:.2e} eV/Å, "
                  f"σxx = {r['stress'][0][0]:.2e}, σyy = {r['stress'][1][1]:.2e} eV/Å², "
                  f"cell {out.cell[0]:.4f} × {out.cell[1]:.4f} Å ({r['cycles']} cycle(s), {r['platform']})")
