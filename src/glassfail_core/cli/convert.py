"""``glassfail convert IN OUT``: structure files from one format to another."""

from __future__ import annotations

from pathlib import Path

import click

from .common import console, load_structure, parse_cell, parse_type_map, structure_argument
from .options import output_file


@click.command("convert")
@structure_argument("source")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path), callback=output_file(None))
@click.option("--cell", help="Cell LXxLY in Å, for input files without one (plain XYZ).")
@click.option("--layer", type=click.Choice(["top", "bottom", "all"]), default="top", show_default=True,
              help="Layer of a 3D bilayer to keep.")
@click.option("--type-map", help="LAMMPS atom types to species, e.g. 1=Si,2=O (default: from masses).")
@click.option("--format", "fmt", type=click.Choice(["extxyz", "xyz", "lammps-data"]),
              help="Output format (default: from DEST's extension).")
def command(source, dest, cell, layer, type_map, fmt):
    """Convert a structure file (extxyz, xyz, LAMMPS data/dump) to extxyz, xyz or LAMMPS data."""
    from ..io import find_format, write_structure
    from ..errors import InputError

    try:  # a format glassfail writes, before anything is read
        find_format(dest, "structure", for_writing=True, format=fmt)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="DEST") from None
    glass = load_structure(source, cell=parse_cell(cell), layer=layer, type_map=parse_type_map(type_map))
    write_structure(glass, dest, format=fmt)
    console.print(f"wrote {dest} ({len(glass)} atoms)", highlight=False, markup=False)
