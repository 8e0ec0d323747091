"""``glassfail energy STRUCTURE``: total energy, max force and 2D stress with the interatomic model."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from .common import console, emit_json, json_option, load_structure, parse_cell, structure_argument
from .options import check_model, output_file

platform_option = click.option(
    "--platform", default=None,
    help="Engine: NumPy (double precision, default without GPU), Reference, CPU, CUDA, OpenCL.")


@click.command("energy")
@structure_argument()
@json_option
@click.option("--per-atom", "per_atom", type=click.Path(dir_okay=False, path_type=Path), callback=output_file("structure"),
              help="Also write the structure with per-atom energies (extxyz array 'energy', eV) to this file.")
@click.option("--model", default="rhh", show_default=True, help="Interatomic model.")
@platform_option
@click.option("--cell", help="Cell LXxLY in Å, for files without one (plain XYZ).")
def command(structure, as_json, per_atom, model, platform, cell):
    """Energy (eV), largest force (eV/Å) and 2D virial stress (eV/Å², N/m) of a structure."""
    from ..errors import InputError
    from ..glass import EV_PER_A2_TO_N_PER_M
    from ..physics import energy_forces, per_atom_energy, resolve_platform, stress

    try:
        name = resolve_platform(platform)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--platform")
    m = check_model(model)
    glass = load_structure(structure, cell=parse_cell(cell))
    e, f = energy_forces(glass, model=m, platform=name)
    fnorm = np.hypot(f[:, 0], f[:, 1])
    s = stress(glass, model=m)
    d = {
        "file": str(structure), "model": m.name, "platform": name, "n_atoms": len(glass),
        "energy_eV": e, "energy_per_atom_eV": e / len(glass),
        "energy_per_SiO2_eV": e / glass.n_si if glass.n_si and glass.n_o == 2 * glass.n_si else None,
        "max_force_eV_per_A": float(fnorm.max()), "max_force_atom": int(fnorm.argmax()),
        "stress_eV_per_A2": s.tolist(), "stress_N_per_m": (s * EV_PER_A2_TO_N_PER_M).tolist(),
        "periodic": list(glass.pbc),
    }
    if per_atom:
        from ..io import write_structure

        ea = per_atom_energy(glass, model=m)
        write_structure(glass.replace(arrays={**glass.arrays, "energy": ea}), per_atom)
        d["per_atom_file"] = str(per_atom)
    if as_json:
        emit_json(d)
        return
    from rich.table import Table

    t = Table(title=f"{structure} — model {m.name} ({name})", title_justify="left", show_header=False, box=None,
              pad_edge=False)
    t.add_row("energy", f"{e:.8f} eV  ({d['energy_per_atom_eV']:.6f} eV/atom"
              + (f", {d['energy_per_SiO2_eV']:.6f} eV/SiO2)" if d["energy_per_SiO2_eV"] is not None else ")"))
    t.add_row("max |F|", f"{d['max_force_eV_per_A']:.3e} eV/Å (atom {d['max_force_atom']})")
    t.add_row("stress xx, yy, xy", "  ".join(f"{v:.6f}" for v in (s[0, 0], s[1, 1], s[0, 1])) + " eV/Å²  ("
              + "  ".join(f"{v * EV_PER_A2_TO_N_PER_M:.4f}" for v in (s[0, 0], s[1, 1], s[0, 1])) + " N/m)")
    if not all(glass.pbc):
        t.add_row("note", "non-periodic axes: the stress uses the cell area as a frame")
    if per_atom:
        t.add_row("per-atom energies", str(per_atom))
    console.print(t)
