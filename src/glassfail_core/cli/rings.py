"""``glassfail rings STRUCTURE``: ring-size statistics of a network (faces of the bond graph)."""

from __future__ import annotations

import click

from .common import console, emit_json, err_console, json_option, load_structure, parse_cell, parse_type_map, \
    structure_argument
from .options import cli_words, output_file


@click.command("rings")
@structure_argument()
@json_option
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), callback=output_file("rings"), help="Also write every ring (size, centroid, "
              "area, atoms) to this CSV file.")
@click.option("--cutoff", type=float, help="Bond cutoff in Å (Si–O, or Si–Si for Si-only networks). "
              "Default: 2.2 (Si–O) / 4.0 (Si–Si).")
@click.option("--cell", help="Cell LXxLY in Å, for files without one (plain XYZ).")
@click.option("--layer", type=click.Choice(["top", "bottom", "all"]), default="top", show_default=True,
              help="Layer of a 3D bilayer to keep.")
@click.option("--type-map", help="LAMMPS atom types to species, e.g. 1=Si,2=O (default: from masses).")
def command(structure, as_json, csv_path, cutoff, cell, layer, type_map):
    """Count the rings of STRUCTURE: p(n), mean, mu2, Aboav–Weaire alpha, Lemaître's law, Euler check.

    Ring size is counted in Si atoms. In non-periodic samples, rings cut by the edge are reported as open and
    not counted.
    """
    import warnings

    from rich.markup import escape

    from ..io.rings import write_rings_csv
    from ..rings import find_rings, ring_statistics

    if cutoff is not None and not cutoff > 0:
        raise click.BadParameter(f"must be a positive length in Å, got {cutoff}", param_hint="--cutoff")
    glass = load_structure(structure, cell=parse_cell(cell), layer=layer, type_map=parse_type_map(type_map))
    if cutoff is not None:
        key = "bond_cutoff_sio" if glass.has_oxygen else "bond_cutoff_sisi"
        glass = glass.replace(info={**glass.info, key: float(cutoff)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rs = find_rings(glass)
    for w in caught:
        err_console.print(f"[yellow]note:[/] {escape(cli_words(str(w.message)))}", highlight=False)
    st = ring_statistics(rs)
    if csv_path:
        write_rings_csv(rs, csv_path)
    d = st.to_dict()
    if as_json:
        d["file"] = str(structure)
        if csv_path:
            d["csv"] = str(csv_path)
        emit_json(d)
        return
    _print_table(structure, glass, rs, st, csv_path)


def _print_table(structure, glass, rs, st, csv_path):
    import numpy as np
    from rich.table import Table

    t = Table(title=f"rings of {structure}", title_justify="left")
    for col in ("size n", "rings", "p(n)", "m(n)", "mean area Å²"):
        t.add_column(col, justify="right")
    for n, c in sorted(st.counts.items()):
        m = st.m.get(n)
        t.add_row(str(n), str(c), f"{c / st.n_rings:.4f}", "–" if m is None else f"{m:.3f}",
                  f"{rs.areas[rs.sizes == n].mean():.2f}")
    console.print(t)
    per = "".join(a for a, p in zip("xy", glass.pbc) if p) or "none"

    def f(x, fmt="{:.4f}"):
        return "–" if x is None or not np.isfinite(x) else fmt.format(x)

    s = Table(show_header=False, box=None, pad_edge=False)
    s.add_row("rings counted", f"{st.n_rings}  (open, cut by an edge: {st.open_rings})")
    s.add_row("⟨n⟩, μ2", f"{f(st.mean)}, {f(st.mu2)}")
    s.add_row("Aboav–Weaire α", f(st.alpha))
    s.add_row("p6, Lemaître μ2", f"{f(st.p6)}, {f(st.mu2_lemaitre)}")
    expect = "0 on a torus" if all(glass.pbc) else "2 per connected piece"
    s.add_row("V − E + F", f"{rs.n_vertices} − {rs.n_edges} + {rs.n_faces} = {st.euler}  (expected {expect}; "
              f"periodic: {per})")
    if csv_path:
        s.add_row("CSV", str(csv_path))
    console.print(s)
