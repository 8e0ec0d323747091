"""``glassfail info STRUCTURE``: atoms, cell, periodicity, density, bonds and coordination."""

from __future__ import annotations

import click

from .common import console, emit_json, json_option, load_structure, parse_cell, parse_type_map, structure_argument


@click.command("info")
@structure_argument()
@json_option
@click.option("--cell", help="Cell LXxLY in Å, for files without one (plain XYZ).")
@click.option("--layer", type=click.Choice(["top", "bottom", "all"]), default="top", show_default=True,
              help="Layer of a 3D bilayer to keep.")
@click.option("--type-map", help="LAMMPS atom types to species, e.g. 1=Si,2=O (default: from masses).")
def command(structure, as_json, cell, layer, type_map):
    """Summarise a structure file: species, cell, periodicity, density, bonds and coordination."""
    from rich.table import Table

    from ..describe import describe

    glass = load_structure(structure, cell=parse_cell(cell), layer=layer, type_map=parse_type_map(type_map))
    d = describe(glass)
    d["file"] = str(structure)
    if "projection" in glass.info:
        d["projection"] = glass.info["projection"]
    if as_json:
        emit_json(d)
        return
    t = Table(title=str(structure), title_justify="left", show_header=False, box=None, pad_edge=False)
    t.add_row("atoms", f"{d['n_atoms']}  (Si {d['n_si']}, O {d['n_o']})")
    t.add_row("cell", f"{d['cell'][0]:.3f} × {d['cell'][1]:.3f} Å   periodic: "
              + (", ".join(a for a, p in zip("xy", d["pbc"]) if p) or "none"))
    t.add_row("density", f"{d['density_si_per_nm2']:.3f} Si/nm²")
    bl = d.get("bond_length")
    t.add_row("bonds", f"{d['n_bonds']} {d['bond_kind']} (cutoff {d['bond_cutoff']:.2f} Å)"
              + (f", length {bl['mean']:.4f} Å [{bl['min']:.4f}, {bl['max']:.4f}]" if bl else ""))
    for sp, hist in d["coordination"].items():
        t.add_row(f"{sp} coordination", ", ".join(f"{k}: {v}" for k, v in hist.items()))
    if "projection" in d:
        p = d["projection"]
        t.add_row("projection", f"{p['layer']} layer of a 3D structure: {p.get('n_kept', p['n_total'])} of {p['n_total']} atoms")
    console.print(t)
